"""Helpers of the SmolLM2 benchmarks: the break-it scenario, its token count, the bare peft step, FLOP/s."""

from __future__ import annotations

import time

import torch

from forgetlab.core.presets import preset_scenario
from forgetlab.core.scenario import with_overrides
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.encoding import encode, trim
from forgetlab.worker.engine.lora import apply_lora
from forgetlab.worker.engine.model import load_model


def scenario(**overrides):
    return with_overrides(preset_scenario("smollm2-break-it"), overrides)


def task_tokens(s, tokenizer) -> int:
    """Real (non-pad) tokens the loop trains on: every task example once per epoch. A row ends at its
    last labelled token (the eos); what follows is padding."""
    data = encode(tokenizer, get_tier(s.tier).task_examples(s.task, s.task_examples, s.seed))
    lengths = [int((row != -100).nonzero().max()) + 1 for row in data.labels]
    return sum(lengths) * s.epochs


def bare_peft_step_seconds(s, device: str) -> float:
    """Mean seconds of a bare peft + torch step (forward, backward, clip, AdamW) over the run's own batches,
    drawn in the loop's order with the loop's padding trimmed: the floor the engine's loop is measured
    against, on the same batches (a fixed batch of the first examples would be shorter than the average)."""
    tier = get_tier(s.tier)
    model, tokenizer = load_model(tier.model())
    model = apply_lora(model.to(device), s) if s.method == "lora" else model.to(device)
    model.train()
    seq_len = min(model.config.max_position_embeddings, tier.max_seq_len)
    data = encode(tokenizer, tier.task_examples(s.task, s.task_examples, s.seed), length=seq_len).to(device)
    order = torch.Generator().manual_seed(s.seed)
    batches = [trim(data.take(rows)) for _ in range(s.epochs)
               for rows in torch.randperm(len(data), generator=order).split(s.task_slots)]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=s.lr, weight_decay=0.0)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)
    started = time.perf_counter()
    for batch in batches:
        with autocast:
            loss = model(input_ids=batch.input_ids, labels=batch.labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()  # the loop reads every step's loss, which waits for the GPU; so does this
    return (time.perf_counter() - started) / len(batches)


def generated_suite():
    """SmolLM2's base model and tokenizer, its whole suite encoded, and the names whose items a judged evaluation
    generates (every name but the multiple-choice one). Import after worker/threads.py's configure()."""
    from forgetlab.worker.engine.choice import is_choice
    from forgetlab.worker.engine.evaluate import EncodedSuite

    tier = get_tier("smollm2")
    model, tokenizer = load_model(tier.model())
    encoded = EncodedSuite.build(tier.probe_suite(), tokenizer, max_new_tokens=tier.generation_tokens)
    names = [n for n in encoded.suite.capabilities + encoded.suite.tasks if not is_choice(encoded.probes(n))]
    return model, tokenizer, encoded, names


def matmul_peak_flops(device: str, size: int = 2048, dtype=torch.float32) -> float:
    """The machine's measured matmul FLOP/s (the mean of 5 products after a warm-up)."""
    a, b = torch.randn(size, size, device=device, dtype=dtype), torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(5):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return 5 * 2 * size**3 / (time.perf_counter() - started)


def train_flops(parameters: int, tokens: int, lora: bool) -> float:
    """FLOPs of training on `tokens`: 2N per token forward, plus 2N backward through activations, plus
    2N for weight gradients when every weight trains (the usual 6N; 4N with a frozen LoRA base)."""
    return (4 if lora else 6) * parameters * tokens
