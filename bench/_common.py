"""Helpers shared by the benchmarks: a timer that reports the median of several repeats."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_seconds(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine_baseline(threads: int, size: int = 512, repeats: int = 5) -> float:
    """This machine's float32 matmul rate in GFLOP/s on `threads` torch threads, as measured now (a loaded
    machine measures lower): the yardstick a benchmark's times are read against."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    seconds = median_seconds(lambda: a @ b, repeats=repeats)
    torch.set_num_threads(before)
    return 2 * size ** 3 / seconds / 1e9
