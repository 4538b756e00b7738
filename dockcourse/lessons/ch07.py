"""Chapter 07's lesson steps (measuring deeper) and their display.

Chapter 01 compares one process, one container and one VM. This optional chapter, for
after images and namespaces, takes the measurements apart:

- the whole start-up ladder: :func:`process`, :func:`namespaces` (``unshare``),
  :func:`container` with ``--network none`` and the bridge, :func:`container_typed`
  (the ``docker run`` command as typed), :func:`container_cold` (a just-built image),
  :func:`vm`; beside :func:`published_figures` from other machines
  (:func:`published_table`);
- :func:`density`: N idle instances at once (total memory, time until all run), and
  :func:`running_cost`: the same CPU-bound loop in each;
- :func:`recorded_run`: the longer run shipped with the course, summarised.

Steps take the session and return data (recorded live, replayed in recorded mode, see
:func:`dockcourse.session.step`); the display helpers render it through the catalogues.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..measure.cli_run import measure_container_cli
from ..measure.footprint import measure_cpu, measure_density
from ..measure.observed import Observed, observed, summarize
from ..measure.results import PublishedFigure, load_published, load_recorded
from ..measure.startup import measure_container, measure_namespaces
from ..session import Session, step
from ..text import t
from ..units import human_seconds
from .ch01 import container, process, run_info, summary, vm

__all__ = [
    "PUBLISHED",
    "container",
    "container_cold",
    "container_typed",
    "density",
    "namespaces",
    "process",
    "published_figures",
    "published_table",
    "recorded_run",
    "run_info",
    "running_cost",
    "summary",
    "vm",
]

#: The published start-up figures a reader can interpret after chapters 01–03 (all
#: checked against their sources: ``dockcourse/data/published_baselines.md``).
PUBLISHED = (
    "fork_exec_floor",
    "netns_new_kernel",
    "crun_per_container",
    "docker_start_ssd",
    "docker_run_true_range",
    "firecracker_spec",
    "ubuntu_cloudimg_local_vm",
)


@step()
def namespaces(course: Session, runs: int = 20) -> Observed:
    """``unshare`` of fresh pid, mount, uts, ipc and net namespaces around ``busybox
    true``: the kernel part of a container, and nothing else."""
    return observed(measure_namespaces, runs)


@step()
def container_typed(course: Session, runs: int = 5) -> Observed:
    """``docker run --rm --network none IMAGE true`` as typed: the ``docker`` program
    timed whole, as ``hyperfine`` would time it."""
    return observed(
        measure_container_cli, runs, image_ref=course.image_ref, chapter=course.chapter
    )


@step()
def container_cold(course: Session) -> Observed:
    """One container from an image built just before it (the build not timed), whose
    layer the storage driver has never mounted."""
    return observed(
        measure_container, course.require_client(), 1, cold=True, chapter=course.chapter
    )


@step()
def density(
    course: Session, counts: Sequence[int] = (1, 2, 5, 10), vm_loops: int = 20_000
) -> Observed:
    """N idle processes, containers and VMs started together: their total memory and
    the time until all run (one VM, which also times the CPU loop ``vm_loops`` times)."""
    return observed(
        measure_density,
        course.require_client(),
        course.image_ref,
        counts=counts,
        vm_counts=(1,),
        vm_loops=vm_loops,
    )


@step()
def running_cost(course: Session, loops: int = 100_000, runs: int = 3) -> Observed:
    """The same CPU-bound shell loop as a process and in a container, ``runs`` times,
    timed inside by its own kernel's clock (start-up not counted)."""
    return observed(
        measure_cpu,
        course.require_client(),
        course.image_ref,
        loops=loops,
        runs=runs,
        kinds=("process", "container"),
    )


def published_figures(ids: Sequence[str] = PUBLISHED) -> list[PublishedFigure]:
    """The published figures named by ``ids``, in the catalogue's order (shipped data:
    the same live and recorded)."""
    return [f for f in load_published() if f.id in ids]


def published_table(figures: Sequence[PublishedFigure]) -> str:
    """One line per figure: its value (or range), what was measured, the citation and
    where to read it."""
    lines = []
    for fig in figures:
        value = human_seconds(fig.low)
        if fig.high > fig.low:
            value += " – " + human_seconds(fig.high)
        lines.append(
            t(
                "plot.07.published.row",
                value=value,
                what=fig.description(),
                citation=fig.citation(),
                url=fig.url,
            )
        )
    return "\n".join(lines)


def recorded_run() -> str:
    """The longer run shipped with the course (``dockcourse bench``): where and when it
    was measured, then one line per series."""
    full = load_recorded()
    return full.label() + "\n" + summarize(full)
