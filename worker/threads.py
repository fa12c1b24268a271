"""How many CPU threads a run computes with, and how its idle OpenMP threads wait: one rule, applied by
`configure()` wherever a run starts (`forgetlab run`, `eval`, `gate`, `claims` and `sweep`, the embedded
pool's children, Celery's pool children, and each job they run).

The rule:
1. Idle OpenMP threads sleep at once (OMP_WAIT_POLICY=PASSIVE; KMP_BLOCKTIME=0 for Intel's OpenMP) instead
   of spinning: a thread that spins while it waits for its partner holds a core another process needs, and
   on a busy 2-core machine that made the synthetic break-it take 6x to 65x its quiet time with two threads.
   The OpenMP runtime reads these when torch loads, so configure() sets them before it imports torch; a
   value already in the environment is kept (the user's choice wins).
2. Threads: `FORGETLAB_TORCH_THREADS` (core/settings.py) when it is set. Otherwise one on a tier whose
   model is too small for a second thread to help (`Tier.one_cpu_thread`: the synthetic tier's; a second
   thread does not make it faster, only exposed to a busy core) and on a GPU (the GPU does the arithmetic). A real model on the CPU (SmolLM2) gets the usable cores shared
   out between the runs this machine runs at once (`processes`): all of them for a lone run.
docs/benchmarks.md has the measurements behind it.
"""

from __future__ import annotations

import os

# Set only where the environment does not already say otherwise.
WAIT_POLICY = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0"}


def threads_for(tier: str, *, processes: int = 1, device: str = "cpu", override: int | None = None,
                cores: int | None = None) -> int:
    """The rule's thread count (2. above) for one run of `tier` beside `processes - 1` others."""
    from forgetlab.core.settings import usable_cores
    from forgetlab.core.tiers import get_tier

    if override:
        return override
    if get_tier(tier).one_cpu_thread or device != "cpu":
        return 1
    return max(1, (cores or usable_cores()) // max(1, processes))


def configure(tier: str = "synthetic", *, processes: int = 1, device: str = "cpu",
              override: int | None = None) -> int:
    """Apply the rule to this process (wait policy, then torch's thread count); returns the thread count.

    Call it before the first `import torch` of a process (the wait policy is read then) and again before a
    run of another tier. `override`: the caller's FORGETLAB_TORCH_THREADS (default: read from the settings)."""
    for name, value in WAIT_POLICY.items():
        os.environ.setdefault(name, value)
    if override is None:
        from forgetlab.core.settings import get_settings

        override = get_settings().torch_threads
    threads = threads_for(tier, processes=processes, device=device, override=override)
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
