"""Many LoRA runs trained together on one frozen base: one concatenated batch, one forward and backward.

Each member is a whole run (`Trainee`, the same code a lone run trains through): its own data, mix and
replay, optimizer, schedule, penalties, evaluation points and events. The group only runs the forward and
the backward: it concatenates the members' batches, runs a copy of the frozen base once, and every
adapted linear layer applies each member's low-rank update to that member's rows (a bmm over the members where
they match, a matmul pair per member where they do not; the design and the exactness tolerance are in
docs/grouped-training.md). The members due at an evaluation point at one step are measured together through the
group's model (worker/engine/grouped_eval.py). A member that ends leaves the group.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from itertools import groupby
from typing import Callable

import torch
from torch import nn

from forgetlab.core.errors import Cancelled
from forgetlab.core.grouping import group_key
from forgetlab.core.results import Summary
from forgetlab.core.holdout import Holdout
from forgetlab.core.scenario import Scenario
from forgetlab.core.tiers import Tier, get_tier

from .checkpoint import Checkpoints
from .encoding import Batch, concatenate
from .grouped_eval import measure_members
from .loss import answer_losses
from .runtime import Runtime
from .train import Trainee, _never
from .weights import PEFT_PREFIX


# Layers no wider than this on their narrower side run each member's merged weight W + s·B·A in one bmm; wider
# ones add the thin rank-r products to the base's output. Thin matmuls cost about as much as the base's own in a
# narrow layer, and an extra weight-gradient matmul is the dearer in a wide one. Measured on one CPU thread, a
# layer's forward and backward, members' rows stacked (docs/grouped-training.md): 64 to 64 at rank 2 (the
# synthetic tier), merged 3.8 ms against 7.9 ms; 576 to 192 at rank 16 (SmolLM2), 99 ms against 87 ms.
MERGE_WIDTH = 128


@dataclass
class Member:
    """One run of a group: its scenario and where its events and cancel checks go, as for `train()`."""

    scenario: Scenario
    on_event: Callable | None = None
    should_cancel: Callable[[], bool] = _never
    tier: Tier | None = None
    checkpoints: Checkpoints | None = None  # the job's: saved every few steps, resumed from when present
    holdout: Holdout | None = None  # an attempt's held-out split (core/holdout.py), as for `train()`


@dataclass
class Outcome:
    """How a member ended: its summary and fine-tuned model, or the Cancelled it raised."""

    summary: Summary | None = None
    cancelled: Cancelled | None = None
    model: nn.Module | None = None  # the member's own peft model, to save as a lone run's is


@dataclass
class Routing:
    """Which rows of this step's batch belong to which member: (member, start, end), in row order."""

    segments: list[tuple[int, int, int]] = field(default_factory=list)

    def route(self, members: list[int]) -> None:
        """Point the next forward's rows at their members: `members` per row, in row order (each run of rows of
        one member becomes one segment)."""
        self.segments.clear()
        start = 0
        for member, rows in groupby(members):
            end = start + len(list(rows))
            self.segments.append((member, start, end))
            start = end


class GroupedLoRALinear(nn.Module):
    """A frozen base linear layer plus every member's adapter, each applied to its own rows."""

    def __init__(self, base: nn.Linear, routing: Routing):
        super().__init__()
        self.base = base
        self.routing = routing
        # member -> (lora_A, lora_B, scale), the very modules of the member's own peft model; a plain dict,
        # not submodules, so the group's parameters are the frozen base alone.
        self.adapters: dict[int, tuple[nn.Module, nn.Module, float]] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        segments = self.routing.segments
        adapters = [self.adapters.get(member) for member, _, _ in segments]
        sizes = [end - start for _, start, end in segments]
        if _stackable(adapters, sizes):
            # Every member adapts this layer at one rank, on as many rows: bmm over the member axis. The stacks
            # are rebuilt each step from the members' own parameters, so each gradient lands in its member's own
            # adapter (the stack's backward hands it back), as in a lone run.
            a = torch.stack([lora_a.weight for lora_a, _, _ in adapters])  # (members, r, d_in)
            scale = x.new_tensor([s for _, _, s in adapters]).view(-1, 1, 1)
            # The scale on B's few weights, not on the rows' update: the same product, one small multiply.
            b = torch.stack([lora_b.weight for _, lora_b, _ in adapters]) * scale  # (members, d_out, r)
            rows = x.reshape(len(adapters), -1, x.shape[-1])  # member blocks are contiguous rows
            if min(a.shape[2], b.shape[1]) <= MERGE_WIDTH:  # a narrow layer: merged weights (MERGE_WIDTH)
                weight = self.base.weight + torch.bmm(b, a)  # (members, d_out, d_in)
                out = torch.bmm(rows, weight.transpose(1, 2)).view(*x.shape[:-1], -1)
                return out if self.base.bias is None else out + self.base.bias
            update = torch.bmm(torch.bmm(rows, a.transpose(1, 2)), b.transpose(1, 2))
            out = self.base(x)
            return out + update.view(out.shape)
        # Members differ in rank, rows, or whether they adapt this layer: a matmul pair per member on its own
        # rows. `split` (not slicing) so that the backward assembles the input's gradient once, not one
        # full-size zero tensor per member.
        out = self.base(x)
        parts = [torch.zeros_like(o) if adapter is None else adapter[1](adapter[0](rows)) * adapter[2]
                 for adapter, rows, o in zip(adapters, x.split(sizes), out.split(sizes))]
        return out + torch.cat(parts)


def _stackable(adapters: list, sizes: list[int]) -> bool:
    """Whether a step's adapters fit one bmm: every member adapts the layer, at one rank, with no bias, on as
    many rows."""
    return (None not in adapters and len(set(sizes)) == 1 and all(b.bias is None for _, b, _ in adapters)
            and len({lora_a.weight.shape for lora_a, _, _ in adapters}) == 1
            and len({lora_b.weight.shape for _, lora_b, _ in adapters}) == 1)


def _attach(model: nn.Module, routing: Routing, member: int, peft_model: nn.Module) -> None:
    """Point the group's layers at the member's adapters (shared parameters: one update moves both); a layer
    no member adapted before becomes a grouped one here, so unadapted layers stay plain."""
    from peft.tuners.lora import LoraLayer

    for name, module in peft_model.named_modules():
        if isinstance(module, LoraLayer) and module.active_adapters:
            adapter = module.active_adapters[0]
            parent_name, _, child_name = name.removeprefix(PEFT_PREFIX).rpartition(".")
            parent = model.get_submodule(parent_name)
            layer = getattr(parent, child_name)
            if not isinstance(layer, GroupedLoRALinear):
                layer = GroupedLoRALinear(layer, routing)
                setattr(parent, child_name, layer)
            layer.adapters[member] = (module.lora_A[adapter], module.lora_B[adapter], module.scaling[adapter])


def train_group(members: list[Member], *, runtime: Runtime | None = None) -> list[Outcome]:
    """Train the members together; each reports its own events as `train()` would. Returns each member's
    outcome, in order. Every member must share `group_key` (the caller groups; a mismatch is refused)."""
    runtime = runtime or Runtime.cpu_for_tier(members[0].scenario.tier)  # the CPU's precision for the tier
    keys = {group_key(m.scenario, runtime.device) for m in members}
    if None in keys or len(keys) != 1:
        raise ValueError(f"these runs cannot train as one group: {sorted(map(str, keys))}")
    # Each member is built exactly as a lone run builds itself (its seed, its mitigations, its adapters).
    runs = [Trainee(m.scenario, m.on_event, tier=m.tier or get_tier(m.scenario.tier), runtime=runtime,
                    should_cancel=m.should_cancel, checkpoints=m.checkpoints, holdout=m.holdout) for m in members]
    if len({run.tier.model() for run in runs}) != 1:  # a tier passed in (`Tier.with_model`) may swap the base
        raise ValueError("these runs cannot train as one group: their tiers load different base models")
    routing = Routing()
    model = copy.deepcopy(runs[0].base_model).requires_grad_(False)  # the one frozen base the group runs
    for index, run in enumerate(runs):
        _attach(model, routing, index, run.model)
    model.train()
    pad_id = runs[0].tokenizer.pad_token_id if runs[0].tokenizer.pad_token_id is not None else 0

    outcomes = [Outcome() for _ in members]
    live = {index: run.batches() for index, run in enumerate(runs)}
    while live:
        batches: dict[int, Batch] = {}
        for index, steps in list(live.items()):
            try:
                batches[index] = next(steps)
            except StopIteration:  # trained every step, or stopped early: the member leaves the group
                outcomes[index].summary, outcomes[index].model, _ = runs[index].finish()
                del live[index]
            except Cancelled as cancelled:
                outcomes[index].cancelled = cancelled
                del live[index]
        if not batches:
            break
        routing.segments.clear()
        start = 0
        for index, batch in batches.items():
            routing.segments.append((index, start, start + len(batch)))
            start += len(batch)
        joined = concatenate(list(batches.values()), pad_id)
        input_ids, labels = joined.input_ids, joined.labels
        with runtime.autocast(training=True):
            sizes = [b - a for _, a, b in routing.segments]
            losses = dict(zip((index for index, _, _ in routing.segments),
                              answer_losses(model, input_ids, labels, sizes)))
            total = sum(runs[index].with_penalties(loss) for index, loss in losses.items())
        total.backward()
        for index, loss in losses.items():  # each member's `update()`, its evaluation points measured together
            runs[index].advance(loss.item())
        measured = measure_members(model, routing, {index: runs[index] for index in losses}, pad_id)
        for index in losses:
            runs[index].report(measured.get(index))
    routing.segments.clear()
    return outcomes
