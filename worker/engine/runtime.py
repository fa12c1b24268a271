"""Where and how the engine computes: device and dtype, in one object passed to train().

CPU is float32, exactly as the lab has always run (its threads: worker/threads.py), except where
`Runtime.for_tier()` turns on bf16 autocast for a real model on a CPU with bf16 matmul units, for the
parts whose rule held (docs/real-model.md, "bf16 on a CPU with bf16 matmul units"; the setting
FORGETLAB_CPU_BF16). CUDA puts the model, every batch, the suites and the mitigations' state on the GPU
and runs forwards under bf16 autocast. Weights and optimizer state stay float32 everywhere. Nothing else
in the engine asks which device or precision it is on: it moves tensors with `runtime.device` and opens
`runtime.autocast()` (evaluation) or `runtime.autocast(training=True)` (the training step's forward).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import torch

from forgetlab.core.errors import RuntimeUnavailable

# The tiers the CPU runs under bf16 autocast (with FORGETLAB_CPU_BF16=auto, on a CPU with bf16 units), and
# which parts: the result of the rule in docs/real-model.md. The synthetic tier stays float32 (its pinned curves).
CPU_BF16_TIERS = {"smollm2"}
CPU_BF16_TRAINING = False  # the training rule's verdict (docs/real-model.md)
CPU_BF16_EVALUATION = False  # the evaluation rule's verdict (docs/real-model.md)


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 matmul units (AVX512-BF16 or AMX). Without them torch converts, and bf16
    is about 8x slower than float32 (measured: docs/real-model.md). oneDNN's own check where torch has it,
    else the kernel's CPU flags."""
    check = getattr(getattr(torch.ops, "mkldnn", None), "_is_mkldnn_bf16_supported", None)
    if check is not None and torch.backends.mkldnn.is_available():
        try:
            return bool(check()) and _cpu_flags_allow()
        except RuntimeError:
            pass
    return _cpu_flags_allow(required=True)


def _cpu_flags_allow(required: bool = False) -> bool:
    """The CPU flags avx512_bf16 or amx_bf16 (/proc/cpuinfo). oneDNN also says yes on plain AVX-512 (it
    converts there, slowly), so its answer is kept only where the flags show real bf16 units; where the
    flags cannot be read, oneDNN's answer stands unless `required`."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = {flag for line in f if line.startswith("flags") for flag in line.split(":", 1)[1].split()}
    except OSError:
        return not required
    return bool(flags & {"avx512_bf16", "amx_bf16"})


@dataclass(frozen=True)
class Runtime:
    device: str = "cpu"
    autocast_dtype: torch.dtype | None = None  # None: plain float32
    # Where the autocast applies: evaluation (every forward that measures) and the training step's forward.
    evaluation: bool = True
    training: bool = True

    @classmethod
    def cpu(cls) -> "Runtime":
        return cls("cpu", None)

    @classmethod
    def cuda(cls) -> "Runtime":
        if not torch.cuda.is_available():
            raise RuntimeUnavailable("this worker has no CUDA GPU (torch.cuda.is_available() is False); "
                                     "send the run to the cpu queue")
        return cls("cuda", torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)

    @classmethod
    def cpu_for_tier(cls, tier: str, setting: str | None = None) -> "Runtime":
        """The CPU runtime of a tier's runs: bf16 autocast for the parts whose rule held, on a tier that may use
        it, where the CPU has bf16 units and the setting (FORGETLAB_CPU_BF16; `off`: float32) allows it."""
        if setting is None:
            from forgetlab.core.settings import get_settings

            setting = get_settings().cpu_bf16
        evaluation, training = CPU_BF16_EVALUATION, CPU_BF16_TRAINING
        if setting == "off" or tier not in CPU_BF16_TIERS or not (evaluation or training) or not cpu_has_bf16():
            return cls.cpu()
        return cls("cpu", torch.bfloat16, evaluation=evaluation, training=training)

    @classmethod
    def for_queue(cls, queue: str, tier: str | None = None) -> "Runtime":
        """The gpu queue insists on CUDA (and fails the run clearly without it); any other queue runs on CPU,
        in the precision `cpu_for_tier` gives the tier (float32 without a tier)."""
        if queue == "gpu":
            return cls.cuda()
        return cls.cpu_for_tier(tier) if tier else cls.cpu()

    def autocast(self, training: bool = False):
        """The context every forward runs in: evaluation's, or with `training` the training step's."""
        if self.autocast_dtype is None or not (self.training if training else self.evaluation):
            return contextlib.nullcontext()
        return torch.autocast(self.device, dtype=self.autocast_dtype)

    @property
    def precision(self) -> str:
        """How this runtime computes, as a run records it: "float32", or the autocast dtype and where it applies."""
        if self.autocast_dtype is None or not (self.evaluation or self.training):
            return "float32"
        dtype = str(self.autocast_dtype).removeprefix("torch.")
        if self.evaluation and self.training:
            return f"{dtype} autocast"
        return f"{dtype} autocast ({'evaluation' if self.evaluation else 'training'} only)"

    def generator(self, seed: int) -> torch.Generator:
        """A seeded CPU generator: sampling order is drawn on the CPU on every device, so data order
        (and so the curves, up to arithmetic) is the same on CPU and GPU for a seed."""
        return torch.Generator().manual_seed(seed)
