"""Training checkpoints: a run saves its state every N steps, and a retried run resumes from the last one.

The job hands `train()` a `Checkpoints` for its run; the loop calls `restore()` once before training and
`save()` after every step (it writes only every `every` steps). A checkpoint holds what the rest of the
run needs to continue as if never stopped: the trainable weights, the optimizer and schedule, the RNG,
the mitigations' own state (their random draws' generators, early stopping's best check and its weights)
and what the run already reported (the accuracy table for the summary, the step-0 point, the latest
samples, the train losses since the last evaluation point). The loop replays the data order up to the
saved step without training, so batches continue where they were, and a resumed run on the CPU ends as
an uninterrupted one does; points the run reported after its last checkpoint are measured again and
dropped as duplicates by the store (its insert ignores a step it has).

Full fine-tunes of models above MAX_PARAMETERS are not checkpointed (hundreds of MB per save); LoRA
adapters always are. Files are written whole, then renamed, so a crash mid-save leaves the last good one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from forgetlab.core.results import Metrics

log = logging.getLogger(__name__)
MAX_PARAMETERS = 20_000_000  # trainable parameters; the synthetic base has 0.17M, SmolLM2 LoRA about 1M


@dataclass
class Resumed:
    step: int  # the last step trained before the retry; training continues at step + 1
    first: Metrics  # the step-0 point (the base's level), for the summary
    losses: list[float]  # train losses since the last evaluation point


class Checkpoints:
    def __init__(self, path: Path, every: int):
        self.path, self.every = Path(path), every
        self.saved_step: int | None = None
        self.enabled = every > 0

    def _trainable(self, model) -> dict[str, torch.Tensor]:
        return {name: p for name, p in model.named_parameters() if p.requires_grad}

    def restore(self, model, optimizer, schedule, *, table: list, samples: list,
                mitigations: list = ()) -> Resumed | None:
        """Load the last checkpoint into the model, optimizer and schedule, and the reported history into
        `table` and `samples`; None when there is none (a first attempt) or it cannot be read."""
        if not self.enabled or not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=False)
            device = next(model.parameters()).device
            missing = set(self._trainable(model)) - set(state["weights"])
            if missing:
                raise ValueError(f"{len(missing)} trainable tensors are not in it")
            model.load_state_dict({k: v.to(device) for k, v in state["weights"].items()}, strict=False)
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            torch.set_rng_state(state["rng"])
            kept = state["mitigations"]
            if [name for name, _ in kept] != [m.name for m in mitigations]:
                raise ValueError("its mitigations are not this run's")
            for m, (_, saved) in zip(mitigations, kept, strict=True):
                m.load(saved)
        except Exception as e:  # an older format or a torn file: start over rather than fail the run
            log.warning("cannot resume from %s (%s); training from step 0", self.path, e)
            return None
        table[:] = state["table"]
        samples[:] = state["samples"]
        self.saved_step = state["step"]
        return Resumed(step=state["step"], first=Metrics.model_validate(state["first"]), losses=state["losses"])

    def save(self, step: int, model, optimizer, schedule, *, first: Metrics, table: list, samples: list,
             losses: list[float], mitigations: list = ()) -> None:
        """Write the state after `step` when a checkpoint is due (every `every` steps)."""
        if not self.enabled or step % self.every:
            return
        if self.saved_step is None and sum(p.numel() for p in self._trainable(model).values()) > MAX_PARAMETERS:
            self.enabled = False
            log.info("not checkpointing: a full fine-tune of this model is too large to save every %d steps",
                     self.every)
            return
        state = {"step": step, "weights": {k: v.detach().cpu() for k, v in self._trainable(model).items()},
                 "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                 "rng": torch.get_rng_state(), "first": first.model_dump(mode="json"), "table": list(table),
                 "samples": list(samples), "losses": list(losses),
                 "mitigations": [(m.name, m.state()) for m in mitigations]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        torch.save(state, tmp)
        os.replace(tmp, self.path)
        self.saved_step = step

    def clear(self) -> None:
        """The run ended: its checkpoint is of no more use."""
        self.path.unlink(missing_ok=True)
