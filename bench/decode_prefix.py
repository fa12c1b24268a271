"""What reading the chat template's shared system turn once saves the SmolLM2 greedy decode (decode._decode):
the decode that shares it against the one that reads every prompt whole (SHARED_PREFIX_MIN set out of reach),
alternating in one process, so a busy machine slows both alike.

Protocol, written before measuring: the first `--prompts` instruction probes of the SmolLM2 suite, decoded to the
instruction name's own budget (as `forgetlab eval` decodes it), one torch thread unless `--threads` says otherwise;
one warm-up decode of each, then `--rounds` rounds of (plain, shared). Prints each path's median seconds, their
ratio and whether every text is the same on both paths (the rule: identical, token for token).

Run: python -m bench.decode_prefix [--prompts 32] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from forgetlab.worker.threads import configure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    configure("smollm2", override=args.threads)
    import torch

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine import decode, evaluate
    from forgetlab.worker.engine.model import load_model

    tier = get_tier("smollm2")
    model, tokenizer = load_model(tier.model())
    suite = tier.probe_suite()
    encoded = evaluate.EncodedSuite.build(suite, tokenizer, max_new_tokens=tier.generation_tokens)
    prompts = [p.prompt for p in encoded.probes("instruction")][: args.prompts]
    limit = encoded.budgets["instruction"]
    sharing = decode.SHARED_PREFIX_MIN

    def decode(share: bool) -> tuple[float, list]:
        decode.SHARED_PREFIX_MIN = sharing if share else 10**9
        started = time.perf_counter()
        texts = decode.greedy_rows(model, tokenizer, prompts, limit)
        return time.perf_counter() - started, texts

    print(f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}; "
          f"{len(prompts)} instruction prompts, {limit} new tokens at most")
    decode(False), decode(True)  # warm-up
    times: dict[bool, list[float]] = {False: [], True: []}
    same = True
    for _ in range(args.rounds):
        (t_plain, plain), (t_shared, shared) = decode(False), decode(True)
        times[False].append(t_plain)
        times[True].append(t_shared)
        same = same and plain == shared
    plain_s, shared_s = statistics.median(times[False]), statistics.median(times[True])
    print(f"plain {plain_s:.2f} s {[round(t, 2) for t in times[False]]}, shared prefix {shared_s:.2f} s "
          f"{[round(t, 2) for t in times[True]]}, ratio plain/shared {plain_s / shared_s:.3f}; "
          f"texts identical: {same}; load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
