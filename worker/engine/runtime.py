"""Where and how the engine computes: device and dtype, in one object passed to train().

CPU is float32, exactly as the lab has always run (its threads: worker/threads.py), unless the opt-in
FORGETLAB_CPU_BF16=on has `Runtime.cpu_for_tier()` turn on bf16 autocast for a real model on a CPU with bf16
matmul units (faster, and does not agree with float32 by the lab's rule: docs/real-model.md, "bf16 on a CPU
with bf16 matmul units"). The bench runs the two parts apart (`evaluation`, `training`). CUDA puts the model,
every batch, the suites and the mitigations' state on the GPU and runs forwards under bf16 autocast. Weights and optimizer state stay float32 everywhere. Nothing else
in the engine asks which device or precision it is on: it moves tensors with `runtime.device` and opens
`runtime.autocast()` (evaluation) or `runtime.autocast(training=True)` (the training step's forward).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import torch

from forgetlab.core.errors import RuntimeUnavailable

# The tiers FORGETLAB_CPU_BF16=on runs under bf16 autocast on a CPU with bf16 units. It is an opt-in: both of
# the lab's rules failed on agreement (docs/real-model.md), so float32 is the default. The synthetic tier stays
# float32 whatever the setting (its pinned curves; its tiny matmuls gain nothing).
CPU_BF16_TIERS = {"smollm2"}


BF16_FLAGS = {"avx512_bf16", "amx_bf16"}  # x86 CPU flags of bf16 matmul instructions


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 matmul units (AVX512-BF16 or AMX). Without them torch converts, and bf16
    is about 8x slower than float32 (measured: docs/real-model.md)."""
    return has_bf16(_onednn_bf16(), cpu_flags())


def has_bf16(onednn: bool | None, flags: set[str] | None) -> bool:
    """oneDNN's own check (None: torch has none) says yes on any AVX-512 CPU, where it converts, slowly; so on
    x86 the CPU's flags must also show bf16 instructions. Where there are no x86 flags to read (another
    architecture), oneDNN's answer stands."""
    if flags is None:
        return bool(onednn)
    return onednn is not False and bool(flags & BF16_FLAGS)


def _onednn_bf16() -> bool | None:
    check = getattr(getattr(torch.ops, "mkldnn", None), "_is_mkldnn_bf16_supported", None)
    if check is None or not torch.backends.mkldnn.is_available():
        return None
    try:
        return bool(check())
    except RuntimeError:
        return None


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str] | None:
    """The x86 CPU flags the kernel lists, or None where there are none to read."""
    try:
        with open(path) as f:
            lines = [line for line in f if line.startswith("flags")]
    except OSError:
        return None
    return {flag for line in lines for flag in line.split(":", 1)[1].split()} if lines else None


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
        """The CPU runtime of a tier's runs: bf16 autocast in training and evaluation when the setting
        (FORGETLAB_CPU_BF16) is `on`, the tier may use it and the CPU has bf16 units; else float32."""
        if setting is None:
            from forgetlab.core.settings import get_settings

            setting = get_settings().cpu_bf16
        if setting != "on" or tier not in CPU_BF16_TIERS or not cpu_has_bf16():
            return cls.cpu()
        return cls("cpu", torch.bfloat16)

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
    def for_base_level(self) -> "Runtime":
        """The runtime a run's base step-0 level is measured in (worker/engine/base_view.py): the run's own
        evaluation precision, on the CPU and on CUDA, so that a curve is one precision from its first point (a
        float32 step 0 before bf16 points would count bf16's rounding as forgetting: 0.25 nats on reasoning's
        NLL on the GPU, docs/real-model.md)."""
        if not self.evaluation:
            return Runtime(self.device)
        return Runtime(self.device, self.autocast_dtype)  # only its evaluation autocast is used: one cache entry

    @property
    def evaluation_precision(self) -> str:
        """"float32" or the dtype evaluation autocasts to: what the base's cached level is keyed by."""
        return "float32" if self.autocast_dtype is None or not self.evaluation else self._dtype_name

    @property
    def precision(self) -> str:
        """How this runtime computes, as a run records it: "float32", or the autocast dtype and where it applies."""
        if self.autocast_dtype is None or not (self.evaluation or self.training):
            return "float32"
        if self.evaluation and self.training:
            return f"{self._dtype_name} autocast"
        return f"{self._dtype_name} autocast ({'evaluation' if self.evaluation else 'training'} only)"

    @property
    def _dtype_name(self) -> str:
        return str(self.autocast_dtype).removeprefix("torch.")

    def generator(self, seed: int) -> torch.Generator:
        """A seeded CPU generator: sampling order is drawn on the CPU on every device, so data order
        (and so the curves, up to arithmetic) is the same on CPU and GPU for a seed."""
        return torch.Generator().manual_seed(seed)
