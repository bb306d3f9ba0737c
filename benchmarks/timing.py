"""Timing and memory measurement: medians of adaptive repeats, tracemalloc peaks."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """How long one measurement may take.

    A sample is `number` back-to-back calls, with `number` chosen so that one
    sample lasts at least `sample_s` (fast functions are timed in batches, so
    the clock's resolution does not matter). Samples are repeated until
    `total_s` is spent, at least `min_repeats` and at most `max_repeats` times.

    `clock`: "cpu" (the default) times the CPU the process used, all its
    threads and the kernel's work for it (page faults included), but not the
    time the process waited while other processes had the cores: on a machine
    shared with other work, wall-clock samples swing with their load.
    "wall" times the wall clock.
    """

    total_s: float
    sample_s: float
    min_repeats: int
    max_repeats: int
    clock: str = "cpu"


QUICK = Budget(total_s=0.12, sample_s=0.005, min_repeats=3, max_repeats=25)
FULL = Budget(total_s=1.0, sample_s=0.02, min_repeats=5, max_repeats=101)


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


@dataclass(frozen=True)
class Timing:
    median_s: float  # median seconds per call
    calls: int  # how many calls were timed in all
    samples: int  # how many samples the median is taken over


def _first(fn, budget, warm_s):
    """Seconds of one call: from a warm-up call, or from the caller's call if that
    took longer than four budgets (then a warm-up call would cost too much; but a
    first call is often slower than the next, so a faster one is still warmed up)."""
    if warm_s is not None and warm_s > 4 * budget.total_s:
        return warm_s
    clock = CLOCKS[budget.clock]
    start = clock()
    fn()
    return max(clock() - start, 1e-9)


def _repeats(per_sample, budget):
    repeats = int(budget.total_s / per_sample)
    # a slow call gets as many samples as four budgets allow, at least one
    floor = max(1, min(budget.min_repeats, int(4 * budget.total_s / per_sample)))
    return max(floor, min(budget.max_repeats, repeats))


def _sample(fn, number, clock):
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


class _NoGC:
    def __enter__(self):
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.enabled:
            gc.enable()


def measure(fn, budget: Budget, warm_s: float | None = None) -> Timing:
    """The median time of one call of `fn()`, after a warm-up call.

    `warm_s`: the seconds of a call the caller has just made (its gradient
    check). A call slower than four budgets is not warmed up again, and is
    timed as few times as four budgets allow, at least once: a gradient that
    takes a minute is timed in one or two minutes, not ten.
    """
    first = _first(fn, budget, warm_s)
    number = max(1, int(budget.sample_s / first))
    repeats = _repeats(first * number, budget)
    with _NoGC():
        samples = [_sample(fn, number, CLOCKS[budget.clock]) for _ in range(repeats)]
    return Timing(statistics.median(samples), repeats * number, repeats)


def paired(fn, reference, budget: Budget, warm_s: float | None = None):
    """(timing of fn, timing of reference, median ratio fn / reference).

    Samples of the two alternate, and the ratio is the median of the ratios
    of neighbouring samples: on a machine whose load changes while it runs,
    both see the same load, so the ratio is steadier than either time.
    """
    first_a = _first(fn, budget, warm_s)
    first_b = _first(reference, budget, None)
    number_a = max(1, int(budget.sample_s / first_a))
    number_b = max(1, int(budget.sample_s / first_b))
    repeats = _repeats(first_a * number_a + first_b * number_b, budget)
    a, b = [], []
    with _NoGC():
        for _ in range(repeats):
            a.append(_sample(fn, number_a, CLOCKS[budget.clock]))
            b.append(_sample(reference, number_b, CLOCKS[budget.clock]))
    ratio = statistics.median(x / y for x, y in zip(a, b))
    return (
        Timing(statistics.median(a), repeats * number_a, repeats),
        Timing(statistics.median(b), repeats * number_b, repeats),
        ratio,
    )


def timed_once(fn, clock="wall"):
    """(result, seconds) of one call of `fn()`, on the wall clock or the CPU clock."""
    clock = CLOCKS[clock]
    start = clock()
    result = fn()
    return result, clock() - start


def peak_memory(fn) -> int:
    """Peak bytes allocated (Python objects and NumPy buffers) during one `fn()` call.

    NumPy reports its array buffers to tracemalloc, so this counts the tape,
    the temporaries and the gradients; it does not see memory allocated by
    libraries that bypass Python's allocator tracking (PyTorch, XLA).
    """
    gc.collect()
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        if not already:
            tracemalloc.stop()
    return peak - base
