"""KL to the base computes the base's distributions each step, on the drawn rows only, and means what it did
when the whole pool's were computed once before training: KL(base ‖ current) over the rows' answer positions.

Tolerance, written before measuring: the on-the-fly base log-probs equal the precomputed ones up to the order of
float reductions (a 512-row forward against an 8-row one), at most 1e-5 absolute on every log-prob; the KL
value, a mean of such terms, within 1e-5 absolute too."""

import copy

import pytest
import torch
import torch.nn.functional as F

from forgetlab.core.scenario import parse
from forgetlab.core.tiers import get_tier
from forgetlab.core.tiers.synthetic import world
from forgetlab.worker.engine.encoding import IGNORE, encode
from forgetlab.worker.engine.lora import apply_lora
from forgetlab.worker.engine.mitigations import Context
from forgetlab.worker.engine.mitigations.kl import KLToBase
from forgetlab.worker.engine.weights import snapshot

TOLERANCE = 1e-5


def _context(base):
    model = copy.deepcopy(base[0])
    return Context(model, base[1], snapshot(model), 32, seed=0, tier=get_tier("synthetic"), base_model=base[0])


def precomputed_targets(model, pool) -> torch.Tensor:
    """The old definition's targets: the base's log-probs over the whole pool, every position, the whole
    vocabulary, computed once before training (pool × positions × vocabulary floats)."""
    with torch.no_grad():
        return F.log_softmax(model.eval()(input_ids=pool.input_ids).logits[:, :-1].float(), -1)


def old_divergence(model, pool, targets, index) -> torch.Tensor:
    rows = pool.take(index)
    logp = F.log_softmax(model(input_ids=rows.input_ids).logits[:, :-1].float(), -1)
    base = targets[index]
    mask = (rows.labels[:, 1:] != IGNORE).float()
    return ((base.exp() * (base - logp)).sum(-1) * mask).sum() / mask.sum()


def train_a_little(model, tokenizer, steps: int = 5) -> None:
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-2)
    batch = encode(tokenizer, world.examples("support-narrow", 16, 0))
    model.train()
    for _ in range(steps):
        model(input_ids=batch.input_ids, labels=batch.labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()


@pytest.mark.parametrize("method", ["full", "lora"])
def test_on_the_fly_targets_equal_the_precomputed_ones(base, method):
    ctx = _context(base)
    kl = KLToBase(ctx, strength=1.0, rows_per_step=8)
    targets = precomputed_targets(ctx.model, kl.pool)
    model = apply_lora(ctx.model, parse({"method": "lora"})) if method == "lora" else ctx.model
    index = torch.randint(len(kl.pool), (32,), generator=torch.Generator().manual_seed(1))
    assert kl.divergence(model, index).item() == pytest.approx(0.0, abs=1e-6)  # step 0: the model is the base

    train_a_little(model, ctx.tokenizer)
    rows = kl.pool.take(index)
    answer = rows.labels[:, 1:] != IGNORE
    on_the_fly = kl.base_logp(rows, answer)
    assert (on_the_fly - targets[index][answer]).abs().max().item() <= TOLERANCE
    with torch.no_grad():
        new, old = kl.divergence(model, index).item(), old_divergence(model, kl.pool, targets, index).item()
    assert old > 1e-3  # the model moved, so the check compares real divergences
    assert new == pytest.approx(old, abs=TOLERANCE)


def test_the_mitigation_holds_nothing_of_pool_by_positions_by_vocabulary(base):
    ctx = _context(base)
    kl = KLToBase(ctx, strength=1.0, rows_per_step=8)
    kl.extra_loss(ctx.model).backward()  # a step's term, as the loop adds it

    def tensors(value, seen=()):
        if isinstance(value, torch.nn.Module):  # the shared base: the run holds it anyway, for evaluation
            return []
        if isinstance(value, torch.Tensor):
            return [value]
        if hasattr(value, "__dict__") and id(value) not in seen:
            return [t for v in vars(value).values() for t in tensors(v, (*seen, id(value)))]
        return []

    held = tensors(kl)
    assert kl.base is base[0]  # the untouched base, not a copy of its weights
    assert held and max(t.numel() for t in held) <= kl.pool.input_ids.numel()  # the pool's token ids at most


def test_the_base_runs_in_float32_under_the_run_s_autocast(base):
    """A GPU run trains under bf16 autocast; the targets stay the float32 ones the base computed before (here the
    CPU's bf16 autocast stands in for the GPU's)."""
    ctx = _context(base)
    kl = KLToBase(ctx, strength=1.0, rows_per_step=8)
    rows = kl.pool.take(torch.arange(8))
    answer = rows.labels[:, 1:] != IGNORE
    plain = kl.base_logp(rows, answer)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cast = kl.base_logp(rows, answer)
    assert cast.dtype == torch.float32 and torch.equal(cast, plain)
