"""Benchmark sections for ``scripts/bench.py``, plus the timing helpers they share.

A section is a module here exposing ``run(quick: bool) -> None`` that prints its own lines.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``work``, each started after a full garbage collection."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(
    works: dict[str, Callable[[], object]], repeat: int, *, collector: bool = True
) -> dict[str, float]:
    """Median time of each named callable, run round-robin so that load on the machine hits all alike.

    With ``collector=False`` the cyclic GC is off during each timed call: the figure is then the
    work itself, without the collection passes that large allocations trigger (which depend on
    everything else alive in the process and vary from run to run).
    """
    samples: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(repeat):
        for name, work in works.items():
            gc.collect()
            if not collector:
                gc.disable()
            try:
                start = time.perf_counter()
                work()
                samples[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def ratio_line(label: str, value: float, baseline: float, goal: float | None = None) -> str:
    """One printed figure: ``label: 1.84x`` plus the goal and whether it is met."""
    ratio = value / baseline
    text = f"  {label}: {ratio:.2f}x"
    if goal is not None:
        text += f"  (goal <= {goal:.1f}x: {'met' if ratio <= goal else 'NOT met'})"
    return text
