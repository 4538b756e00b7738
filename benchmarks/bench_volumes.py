"""How fast the volume workbench is with many volumes (prints figures; asserts nothing).

    .venv/bin/python benchmarks/bench_volumes.py [--count 200] [--repeat 7]

Makes ``count`` labelled course volumes, times ``list_volumes`` (the widget's Refresh),
the widget's whole refresh (listing + table HTML), how long the "Compute sizes" button
takes to return (the UI must not wait) and how long the sizes take to arrive
(``docker system df -v``). Removes exactly the volumes it made.
"""

from __future__ import annotations

import argparse
import statistics
import time

from dockcourse import volumes as vol
from dockcourse.engine import connect
from dockcourse.images import ensure_image
from dockcourse.resources import labels, new_name
from dockcourse.widgets.volumes import VolumeManager

CHAPTER = "06-bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    client = connect()
    image_ref = ensure_image(client)
    names = [new_name(CHAPTER, f"b{i}") for i in range(args.count)]
    info = client.version()
    print(f"engine {info.get('Version')} (API {info.get('ApiVersion')}), "
          f"{args.count} volumes to make")  # fmt: skip
    made: list[str] = []
    try:
        start = time.perf_counter()
        for name in names:
            client.api.create_volume(name, labels=labels(CHAPTER))
            made.append(name)
        print(f"made {len(made)} volumes in {time.perf_counter() - start:.2f} s")
        total = len(vol.list_volumes(client).volumes)

        listing_s = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            vol.list_volumes(client)
            listing_s.append(time.perf_counter() - t0)
        print(f"list_volumes, {total} volumes on the engine: median "
              f"{statistics.median(listing_s) * 1000:.1f} ms, max "
              f"{max(listing_s) * 1000:.1f} ms over {args.repeat} runs")  # fmt: skip

        t0 = time.perf_counter()
        vm = VolumeManager(client=client, image_ref=image_ref, chapter=CHAPTER)
        print(f"VolumeManager() with the first listing: "
              f"{(time.perf_counter() - t0) * 1000:.1f} ms")  # fmt: skip
        refresh_s = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            vm.refresh()
            refresh_s.append(time.perf_counter() - t0)
        print(f"widget refresh (listing + table of {len(vm.select.options)} rows): median "
              f"{statistics.median(refresh_s) * 1000:.1f} ms")  # fmt: skip

        t0 = time.perf_counter()
        vm.sizes_button.click()
        returned_s = time.perf_counter() - t0
        vm.wait_for_sizes(120)
        arrived_s = time.perf_counter() - t0
        print(f"'Compute sizes' returned in {returned_s * 1000:.1f} ms; sizes arrived "
              f"after {arrived_s * 1000:.1f} ms (docker system df -v)")  # fmt: skip
        df_s = []
        for _ in range(3):
            df_s.append(vol.volume_sizes(client).elapsed_s)
        print(f"volume_sizes alone: median {statistics.median(df_s) * 1000:.1f} ms")
    finally:
        start = time.perf_counter()
        for name in made:
            client.api.remove_volume(name)
        print(f"removed the {len(made)} volumes in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
