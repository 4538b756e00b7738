"""Performance figures of the measurement layer (issue 3). Prints; asserts nothing.

    .venv/bin/python benchmarks/bench_measure.py [--runs 15] [--skip-quick]

1. Fidelity: the helper's ``docker run --rm`` series (container-cli) against
   ``hyperfine 'docker run --rm --network none IMAGE true'`` in the same run (goal:
   0.95–1.05), and the API series (create → exit → remove) beside it, explained.
2. The helper's own overhead per container sample over the raw SDK calls
   (create, start, wait, remove) in interleaved blocks (goal: < 5 ms).
3. The phase breakdown against the measured total (goal: within 5%).
4. ``dockcourse bench --quick`` wall time, every series included (goal: ≤ 60 s).

On a noisy 2-core machine only ratios measured in one run mean anything.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dockcourse import resources
from dockcourse.engine import connect
from dockcourse.images import ensure_image
from dockcourse.measure import startup
from dockcourse.measure.cli_run import cli_command, measure_container_cli
from dockcourse.measure.results import load_results

CHAPTER = "bench"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def helper_samples(client: object, image_ref: str, runs: int) -> list[float]:
    samples = startup.measure_container(
        client, runs, warmup=2, image_ref=image_ref, chapter=CHAPTER, progress=False
    )
    return [s.elapsed_s for s in samples if not s.warmup]


def cli_samples(image_ref: str, runs: int) -> list[float]:
    samples = measure_container_cli(
        runs, warmup=2, image_ref=image_ref, chapter=CHAPTER, progress=False
    )
    return [s.elapsed_s for s in samples if not s.warmup]


def hyperfine(image_ref: str, runs: int) -> tuple[float, float]:
    """Median and mean of ``docker run --rm`` as hyperfine measures it (labelled)."""
    command = " ".join(cli_command(image_ref, CHAPTER))  # the very same command
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hf.json"
        subprocess.run(
            [
                "hyperfine",
                "--warmup",
                "2",
                "--runs",
                str(runs),
                "--style",
                "none",
                "--export-json",
                str(out),
                command,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        result = json.loads(out.read_text())["results"][0]
    return float(result["median"]), float(result["mean"])


def raw_block(client: object, image_ref: str, count: int) -> float:
    """Wall seconds for ``count`` containers made with the bare SDK calls."""
    api = client.api  # type: ignore[attr-defined]
    host_config = api.create_host_config(network_mode="none")
    start = time.perf_counter()
    for _ in range(count):
        cid = api.create_container(
            image_ref,
            startup.COMMAND,
            name=resources.new_name(CHAPTER, "raw"),
            labels=resources.labels(CHAPTER),
            host_config=host_config,
        )["Id"]
        try:
            api.start(cid)
            api.wait(cid, timeout=30)
        finally:
            api.remove_container(cid, force=True)
    return time.perf_counter() - start


def helper_block(
    client: object, image_ref: str, count: int
) -> tuple[float, list[float]]:
    start = time.perf_counter()
    samples = startup.measure_container(
        client, count, warmup=0, image_ref=image_ref, chapter=CHAPTER, progress=False
    )
    return time.perf_counter() - start, [s.elapsed_s for s in samples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--skip-quick", action="store_true")
    args = parser.parse_args()
    client = connect()
    image_ref = ensure_image(client)
    print(f"image {image_ref}; {args.runs} runs per series\n")

    # 1. fidelity: hyperfine between two halves of each helper series (drift cancels)
    first = helper_samples(client, image_ref, args.runs)
    cli_first = cli_samples(image_ref, args.runs)
    if shutil.which("hyperfine"):
        hf_median, hf_mean = hyperfine(image_ref, args.runs)
    else:
        hf_median = hf_mean = float("nan")
        print("hyperfine not installed: `apt-get install hyperfine`")
    cli_second = cli_samples(image_ref, args.runs)
    second = helper_samples(client, image_ref, args.runs)
    helper = statistics.median(first + second)
    cli = statistics.median(cli_first + cli_second)
    print("1. fidelity (warm, --network none)")
    print(
        f"   helper median (create→exit→remove) {ms(helper)}"
        f"   [first half {ms(statistics.median(first))}, second "
        f"{ms(statistics.median(second))}]"
    )
    print(
        f"   hyperfine docker run --rm median   {ms(hf_median)}  (mean {ms(hf_mean)})"
    )
    print(
        f"   helper, docker run as typed median  {ms(cli)}"
        f"   [first half {ms(statistics.median(cli_first))}, second "
        f"{ms(statistics.median(cli_second))}]"
    )
    print(
        f"   container-cli / hyperfine = {cli / hf_median:.3f}"
        "  (goal 0.95–1.05: the same command, timed the same way)"
    )
    print(
        f"   container-none (API) / hyperfine = {helper / hf_median:.3f}"
        f"  (difference {ms(hf_median - helper)}: the docker CLI process, its "
        "attach/streams and --rm round trips, which the API series leaves out; "
        "the chapter shows both series)"
    )

    # 2. overhead per sample, interleaved blocks
    per_block = 5
    raw_walls, helper_walls, helper_reported = [], [], []
    for _ in range(args.blocks):
        raw_walls.append(raw_block(client, image_ref, per_block) / per_block)
        wall, reported = helper_block(client, image_ref, per_block)
        helper_walls.append(wall / per_block)
        helper_reported += reported
    raw = statistics.median(raw_walls)
    wall = statistics.median(helper_walls)
    reported = statistics.median(helper_reported)
    print(
        "\n2. helper overhead per container sample "
        f"({args.blocks} interleaved blocks of {per_block})"
    )
    print(f"   raw SDK calls, wall per container     {ms(raw)}")
    print(
        f"   helper, wall per sample (all costs)   {ms(wall)}"
        f"   overhead {ms(wall - raw)}"
    )
    print(
        f"   helper, reported elapsed_s (median)   {ms(reported)}"
        f"   vs raw {ms(reported - raw)}"
    )

    # 3. phases against total
    samples = startup.measure_container(
        client,
        args.runs,
        warmup=1,
        image_ref=image_ref,
        chapter=CHAPTER,
        progress=False,
    )
    kept = [s for s in samples if not s.warmup]
    worst = max(abs(sum(s.phases_s.values()) - s.elapsed_s) / s.elapsed_s for s in kept)
    engine = [
        float(s.detail["engine_create_to_destroy_s"]) / s.elapsed_s
        for s in kept
        if "engine_create_to_destroy_s" in s.detail
    ]
    print("\n3. phase breakdown vs measured total")
    print(f"   worst |sum(phases) - total| / total   {worst:.2%}")
    if engine:
        print(
            f"   engine create→destroy events / total  median "
            f"{statistics.median(engine):.1%} (the rest is API round trips)"
        )

    # 4. bench --quick
    if not args.skip_quick:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "dockcourse",
                    "bench",
                    "--quick",
                    "--out",
                    tmp,
                    "--no-progress",
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
            elapsed = time.perf_counter() - start
            results = load_results(Path(tmp) / "results.jsonl")
            summary = json.loads((Path(tmp) / "summary.json").read_text())
        print("\n4. dockcourse bench --quick")
        print(
            f"   wall time {elapsed:.1f} s (exit {done.returncode}); VM accelerator "
            f"{results.vm_accel().upper()}; {summary['headline']}"
        )
        for series, stats in summary["startup"].items():
            print(f"   {series:<17} median {ms(stats['median_s'])}  n={stats['count']}")
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
