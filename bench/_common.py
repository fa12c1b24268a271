"""Helpers shared by the benchmarks: a timer that reports the median of several repeats, and a run timed quiet
and beside a standard load (one busy process per core), with the machine's own baseline measured alongside."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from typing import Callable

from forgetlab.core.settings import usable_cores


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


# The standard load: one busy process per usable core, each a CPU-bound Python loop that never sleeps.
BUSY = "while True: pass"


@contextlib.contextmanager
def busy_load(processes: int | None = None):
    """One CPU-bound process per usable core (or `processes`), started on entry and stopped on exit."""
    load = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(processes or usable_cores())]
    try:
        time.sleep(0.5)  # each has started and is spinning
        yield load
    finally:
        for p in load:
            p.terminate()
        for p in load:
            p.wait()


def machine_seconds(iterations: int = 3_000_000) -> float:
    """The machine's own baseline: seconds of a fixed single-threaded piece of Python arithmetic. Quiet, it is
    what one core of this CPU does; beside a busy process on every core, a fair scheduler makes it about 2x."""
    started = time.perf_counter()
    total = 0
    for i in range(iterations):
        total += i & 7
    return time.perf_counter() - started


def contention(run: Callable[[], object], repeats: int) -> dict:
    """`run` quiet and beside the standard load, interleaved `repeats` times (medians), each preceded by the
    machine baseline in the same conditions, so a reader sees how busy the machine was on its own."""
    quiet, loaded, base_quiet, base_loaded = [], [], [], []
    for _ in range(repeats):
        base_quiet.append(machine_seconds())
        started = time.perf_counter()
        run()
        quiet.append(time.perf_counter() - started)
        with busy_load():
            base_loaded.append(machine_seconds())
            started = time.perf_counter()
            run()
            loaded.append(time.perf_counter() - started)
    med = statistics.median
    return {"quiet": med(quiet), "loaded": med(loaded), "ratio": med(loaded) / med(quiet),
            "quiet_all": quiet, "loaded_all": loaded,
            "baseline_quiet": med(base_quiet), "baseline_loaded": med(base_loaded),
            "load_average": os.getloadavg()[0]}


def print_contention(name: str, result: dict, target: float = 3.0) -> None:
    def spread(values: list[float]) -> str:
        return f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else f"{values[0]:.2f}"

    r = result
    print(f"{name}: quiet {r['quiet']:.2f} s ({spread(r['quiet_all'])}), beside one busy process per core "
          f"{r['loaded']:.2f} s ({spread(r['loaded_all'])}): ratio {r['ratio']:.2f}x (target <= {target:g}x)")
    print(f"  machine baseline in the same run (fixed single-threaded work): quiet {r['baseline_quiet']:.3f} s, "
          f"loaded {r['baseline_loaded']:.3f} s = {r['baseline_loaded'] / r['baseline_quiet']:.2f}x (a fair share "
          f"is 2x); 1-minute load average at the end {r['load_average']:.1f} on {usable_cores()} cores")


def load_rows(out) -> list[dict]:
    """The runs a resumable search has appended to `out` (one JSON object a line); none when it is new."""
    import json

    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def append_runs(run: Callable, jobs: list, out, workers: int, line: Callable[[dict], str]) -> list[dict]:
    """Run `jobs` in `workers` processes (one torch thread each), appending each result to `out` as it comes,
    so an interrupted search resumes where it stopped; prints `line(result)` for each. Returns every row in out."""
    import json
    from concurrent.futures import ProcessPoolExecutor

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(workers) as pool, out.open("a") as f:
        for row in pool.map(run, jobs):
            f.write(json.dumps(row) + "\n")
            f.flush()
            print(line(row), flush=True)
    return load_rows(out)


def resumable_main(jobs: list, job_of: Callable[[dict], object], run: Callable, line: Callable[[dict], str],
                   report: Callable[[list[dict]], None]) -> None:
    """The command line of a search that appends one line per run to --out: runs the jobs no line of the file
    holds yet (`job_of(row)` is a line's job) in --workers processes, unless --report; then prints the report."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--report", action="store_true", help="only the report of the runs in --out")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    out = Path(args.out)
    rows = load_rows(out)
    if not args.report:
        done = {job_of(row) for row in rows}
        rows = append_runs(run, [job for job in jobs if job not in done], out, args.workers, line)
    report(rows)
