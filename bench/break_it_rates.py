"""Stage 2 of the world search (docs/protocols/world-room.md): break-it's mean drop at each candidate rate.

    python -m bench.break_it_rates 1e-3 5e-4 3e-4 2e-4   # stops at the first rate in the band on every unit
    python -m bench.break_it_rates --epochs 3 2          # the protocol's fallback, at break-it's rate
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("values", nargs="+", type=float)
    parser.add_argument("--epochs", action="store_true", help="the values are epochs, not rates")
    args = parser.parse_args()

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.world_check import break_it_table

    for value in args.values:
        overrides = {"epochs": int(value)} if args.epochs else {"lr": value}
        lines, ok = break_it_table(get_tier("synthetic"), overrides)
        print(f"\nbreak-it with {overrides}:\n" + "\n".join(lines), flush=True)
        if ok:
            break


if __name__ == "__main__":
    main()
