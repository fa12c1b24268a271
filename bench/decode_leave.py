"""What letting ended rows leave a decode batch a quarter at a time saves SmolLM2's greedy generation: the decode
with rows leaving one step after they end (every leave copies the whole KV cache) against rows leaving once they are
a LEAVE_SHARE-th of the batch (an ended row rides along until then, its tokens dropped), alternating in one process,
so a busy machine slows both alike.

Protocol, written before measuring: the first `--per-name` items of every generated name of the SmolLM2 suite
(every name but the multiple-choice one; 0: all), each with its real budget, torch threads by worker/threads.py's
rule unless `--threads` says otherwise; one warm-up of each policy, then `--rounds` rounds of (one by one, a
quarter at a time). Old: LEAVE_SHARE set to DECODE_ROWS, so that one ended row is enough to leave (the decode
before this change). Prints each policy's median seconds, their ratio, the load average beside them, and whether
every text is the same (the rule: token for token, as tests/worker/engine/test_scoring_speed.py holds the decode
to one plain generate() batch).

Run: python -m bench.decode_leave [--per-name 64] [--rounds 2] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from forgetlab.worker.threads import configure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-name", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    configure("smollm2", override=args.threads)
    import torch

    from forgetlab.worker.engine import decode

    from ._smollm2 import generated_suite

    model, tokenizer, encoded, names = generated_suite()
    probes = {n: encoded.probes(n)[: args.per_name or None] for n in names}
    prompts = [p.prompt for n in names for p in probes[n]]
    limits = [encoded.budgets[n] for n in names for _ in probes[n]]
    quarter = decode.LEAVE_SHARE

    def timed(share: int) -> tuple[float, list]:
        decode.LEAVE_SHARE = share
        started = time.perf_counter()
        rows, _ = decode.greedy_scored(model, tokenizer, prompts, limits)
        return time.perf_counter() - started, rows

    print(f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}; {len(prompts)} generated "
          f"items of {len(names)} names; LEAVE_SHARE {quarter} against {decode.DECODE_ROWS} (one by one)")
    timed(decode.DECODE_ROWS), timed(quarter)  # warm-up
    seconds: dict[str, list[float]] = {"one by one": [], "a quarter at a time": []}
    same = True
    for _ in range(args.rounds):
        old, old_rows = timed(decode.DECODE_ROWS)
        new, new_rows = timed(quarter)
        seconds["one by one"].append(old)
        seconds["a quarter at a time"].append(new)
        same = same and old_rows == new_rows
    decode.LEAVE_SHARE = quarter
    old, new = (statistics.median(s) for s in seconds.values())
    for name, times in seconds.items():
        print(f"{name}: median {statistics.median(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})")
    print(f"ratio {old / new:.2f}x; every text the same: {same}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
