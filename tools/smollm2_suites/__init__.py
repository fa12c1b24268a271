"""The SmolLM2 tier's suites and task data, built from the hand-written material in these modules:
one module per suite (instruction, knowledge, reasoning, format, safety), per task pool (support,
sql) and for the general data and the self-rehearsal prompts; build.py writes and checks them all.

    python -m tools.smollm2_suites            # rewrite core/tiers/smollm2/data/ (from the repository root)
    python -m tools.smollm2_suites --out DIR  # write elsewhere (tests/core/test_smollm2_data.py compares bytes)

A build tool, not part of the installed package. All text here is this project's own. Randomness
comes from random.Random seeded with fixed strings (stable across Python versions), splits from
SHA-256 of ids/prompts, and JSONL is written as UTF-8 with "\\n" line ends, so a rebuild reproduces
the same bytes. The build checks its own output (every reference passes its checker, splits are
disjoint, held-out facts stay out of the general data) and raises if anything is off.
"""
