"""What the weight penalties keep of the base: views of the untouched base's weights, not copies, and EWC's Fisher
of the weights training moves only (under LoRA, the adapted layers'), with the penalty unchanged."""

import copy

import pytest
import torch

from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.lora import apply_lora
from forgetlab.worker.engine.mitigations import Context
from forgetlab.worker.engine.mitigations.ewc import EWC
from forgetlab.worker.engine.train import Trainee
from forgetlab.worker.engine.weights import deltas, views


def test_a_run_s_weight_penalties_read_the_base_s_own_storage():
    run = Trainee(parse({"task_examples": 50, "epochs": 1, "batch_size": 8, "l2sp_weight": 1.0, "ewc_lambda": 1.0,
                         "ewc_samples": 16}))
    storage = {name: p.data_ptr() for name, p in run.base_model.named_parameters()}
    for mitigation in run.mitigations:
        assert {name: w.data_ptr() for name, w in mitigation.base.items()} == storage, mitigation.name
    assert not any(w.requires_grad for w in run.mitigations[0].base.values())  # no gradient reaches the base


def test_ewc_under_lora_keeps_the_fisher_of_the_adapted_weights_only(base):
    model = copy.deepcopy(base[0])
    ctx = Context(model, base[1], views(base[0]), 32, seed=0, tier=get_tier("synthetic"), base_model=base[0])
    ewc = EWC(ctx, strength=1.0, samples=16)
    full = dict(ewc.fisher)
    lora = apply_lora(model, parse({"method": "lora"}))
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.1)  # adapters that moved, so the penalty is not 0
    penalty = ewc.penalty(lora)
    adapted = [name for name, _ in deltas(lora, {})]
    assert sorted(ewc.fisher) == sorted(adapted) and len(adapted) < len(full)
    expected = sum((full[name] * d.pow(2)).sum() for name, d in deltas(lora, {}))
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6) and penalty.item() > 0
