"""What reading generated items' references from the decode's KV cache saves the SmolLM2 reference NLLs: score()
over each generated name's items (every prompt read again) against continued_scores() inside the decode (the
prompts read once, by the prefill the decode needs anyway), alternating in one process, so a busy machine slows
both alike.

Protocol, written before measuring: the first `--per-name` items of every generated name of the SmolLM2 suite
(every name but the multiple-choice one; 0: all 925), torch threads by worker/threads.py's rule unless
`--threads` says otherwise; one warm-up of each path, then `--rounds` rounds of (old, new). Old: score(parts=True)
of each name's items, as evaluate_judged() scored them. New: greedy_scored() with each item's real budget (so
the decode's batches are the evaluation's), its decode cut to one new token, the seconds spent in
continued_scores() alone (the prefill is the decode's own cost, which it pays either way). Prints each path's
median seconds, their ratio, the load average beside them and the largest relative difference of any NLL (the
rule: within 1e-5, docs/real-model.md).

Run: python -m bench.refnll_cache [--per-name 32] [--rounds 2] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from forgetlab.worker.threads import configure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-name", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    configure("smollm2", override=args.threads)
    import torch

    from forgetlab.worker.engine import decode
    from forgetlab.worker.engine.encoding import IGNORE
    from forgetlab.worker.engine.scoring import score

    from ._smollm2 import generated_suite

    model, tokenizer, encoded, names = generated_suite()
    take = {n: torch.arange(min(args.per_name or len(encoded.probes(n)), len(encoded.probes(n)))) for n in names}
    batches = {n: encoded.batches[n].take(take[n]) for n in names}
    prompts = [p.prompt for n in names for p in encoded.probes(n)[: len(take[n])]]
    limits = [encoded.budgets[n] for n in names for _ in take[n]]
    references = [labels[labels != IGNORE].tolist() for n in names for labels in batches[n].labels]

    real_decode, real_scores, spent = decode._decode, decode.continued_scores, [0.0]

    def one_token(model, tokenizer, prompts, limits, references=None, route=None):
        return real_decode(model, tokenizer, prompts, [1] * len(limits), references, route)

    def timed_scores(*a, **k):
        started = time.perf_counter()
        try:
            return real_scores(*a, **k)
        finally:
            spent[0] += time.perf_counter() - started

    decode._decode, decode.continued_scores = one_token, timed_scores

    def old() -> tuple[float, torch.Tensor]:
        started = time.perf_counter()
        nll = torch.cat([score(model, batches[n], parts=True)[1] for n in names])
        return time.perf_counter() - started, nll

    def new() -> tuple[float, torch.Tensor]:
        spent[0] = 0.0
        _, columns = decode.greedy_scored(model, tokenizer, prompts, limits, references)
        return spent[0], columns[1]

    print(f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}; {len(prompts)} generated "
          f"items of {len(names)} names, {sum(map(len, references))} reference tokens")
    old(), new()  # warm-up
    times: dict[str, list[float]] = {"old": [], "new": []}
    worst = 0.0
    for _ in range(args.rounds):
        (t_old, nll_old), (t_new, nll_new) = old(), new()
        times["old"].append(t_old)
        times["new"].append(t_new)
        worst = max(worst, float(((nll_new - nll_old).abs() / nll_old.abs()).max()))
        print(f"  round: old {t_old:.2f} s, new {t_new:.2f} s; load average {os.getloadavg()[0]:.2f}", flush=True)
    old_s, new_s = statistics.median(times["old"]), statistics.median(times["new"])
    print(f"reference NLLs: score() {old_s:.2f} s {[round(t, 2) for t in times['old']]}, from the decode's cache "
          f"{new_s:.2f} s {[round(t, 2) for t in times['new']]}, ratio old/new {old_s / new_s:.2f}x; largest relative "
          f"NLL difference {worst:.1e}; load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
