"""Where and how the engine computes: device and dtype, in one object passed to train().

CPU is float32, exactly as the lab has always run (its threads: worker/threads.py). CUDA puts
the model, every batch, the suites and the mitigations' state on the GPU and runs forwards under
bf16 autocast (weights and optimizer state stay float32). Nothing else in the engine asks which
device it is on: it moves tensors with `runtime.device` and opens `runtime.autocast()`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from forgetlab.core.errors import RuntimeUnavailable


@dataclass(frozen=True)
class Runtime:
    device: str = "cpu"
    autocast_dtype: torch.dtype | None = None  # None: plain float32

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
    def for_queue(cls, queue: str) -> "Runtime":
        """The gpu queue insists on CUDA (and fails the run clearly without it); any other queue runs on CPU."""
        return cls.cuda() if queue == "gpu" else cls.cpu()

    def autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device, dtype=self.autocast_dtype)

    def generator(self, seed: int) -> torch.Generator:
        """A seeded CPU generator: sampling order is drawn on the CPU on every device, so data order
        (and so the curves, up to arithmetic) is the same on CPU and GPU for a seed."""
        return torch.Generator().manual_seed(seed)
