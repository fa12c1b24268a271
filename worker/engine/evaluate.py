"""Per-capability evaluation: exact match and answer NLL by teacher forcing, plus greedy samples.

Exact match under greedy decoding equals "the argmax of every answer token under teacher
forcing is right": if every earlier answer token was argmax-correct, greedy decoding saw the
same prefix. So one batched forward pass per capability gives every accuracy on the curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.probes import Suite

from .encoding import IGNORE, Batch, encode


@dataclass
class EncodedSuite:
    """A suite tokenized once, so evaluating it many times during a run costs only forwards."""

    suite: Suite
    batches: dict[str, Batch]  # one per capability or task
    groups: dict[str, list[str]]
    refusal_id: int | None
    template_ids: dict[str, int]

    @classmethod
    def build(cls, suite: Suite, tokenizer, device: str = "cpu") -> "EncodedSuite":
        names = suite.capabilities + suite.tasks
        batches, groups = {}, {}
        for name in names:
            probes = [p for p in suite.probes if p.capability == name]
            batches[name] = encode(tokenizer, [(p.prompt, p.answer) for p in probes]).to(device)
            groups[name] = [p.group for p in probes]

        def first_id(word: str) -> int:
            return tokenizer(" " + word, add_special_tokens=False)["input_ids"][0]

        refusal = first_id(suite.refusal_token) if suite.refusal_token else None
        return cls(suite, batches, groups, refusal, {t: first_id(w) for t, w in suite.templates.items()})


@torch.inference_mode()
def score(model, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per probe: exact match (bool), summed answer NLL, answer token count; and first-token argmax."""
    batch = batch.to(model.device)
    logits = model(input_ids=batch.input_ids).logits[:, :-1].float()
    targets = batch.labels[:, 1:]
    mask = targets != IGNORE
    preds = logits.argmax(-1)
    correct = ((preds == targets) | ~mask).all(-1)
    nll = F.cross_entropy(logits.transpose(1, 2), targets.clamp(min=0), reduction="none") * mask
    first = preds[torch.arange(len(batch), device=preds.device), batch.answer_start - 1]
    return correct, nll.sum(-1) / mask.sum(-1), first


def evaluate(model, encoded: EncodedSuite, names: list[str] | None = None) -> dict:
    """Accuracy and mean answer NLL per capability and task, format rigidity, refusal rates."""
    was_training = model.training
    model.eval()
    suite = encoded.suite
    names = names or suite.capabilities + suite.tasks
    result: dict = {"capabilities": {}, "tasks": {}}
    general_first: list[torch.Tensor] = []
    for name in names:
        correct, nll, first = score(model, encoded.batches[name])
        kind = "capabilities" if name in suite.capabilities else "tasks"
        result[kind][name] = {"accuracy": correct.float().mean().item(), "nll": nll.mean().item()}
        if kind == "capabilities":
            general_first.append(first)
        if encoded.refusal_id is not None and name == "safety":
            refused = (first == encoded.refusal_id).float()
            harmful = torch.tensor([g == "harmful" for g in encoded.groups[name]], device=refused.device)
            result["refusal"] = refused[harmful].mean().item()
            result["over_refusal"] = refused[~harmful].mean().item()
    if general_first:
        firsts = torch.cat(general_first)
        # Share of general answers that open with a task's template: the task's format leaking out.
        result["format_rigidity"] = {t: (firsts == i).float().mean().item() for t, i in encoded.template_ids.items()}
    if was_training:
        model.train()
    return result


@torch.inference_mode()
def greedy(model, tokenizer, prompts: list[str], max_new_tokens: int = 16) -> list[str]:
    """Greedy decodes in one left-padded batch (the attention mask keeps pads out of every prompt)."""
    was_training = model.training
    model.eval()
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    encoded = [bos + ids for ids in tokenizer(prompts, add_special_tokens=False)["input_ids"]]
    width = max(map(len, encoded))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded], device=model.device)
    mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], device=model.device)
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                         pad_token_id=pad, eos_token_id=tokenizer.eos_token_id)
    model.train(was_training)
    texts = []
    for row in out[:, width:].tolist():
        row = row[: row.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in row else row
        texts.append(tokenizer.decode(row).strip())
    return texts


def sample_probes(suite: Suite, per_name: int = 2) -> list:
    """A few fixed probes per capability and task, spread over their groups, for sample outputs."""
    picked = []
    for name in suite.capabilities + suite.tasks:
        probes = [p for p in suite.probes if p.capability == name]
        step = max(1, len(probes) // per_name)
        picked += probes[::step][:per_name]
    return picked


def samples(model, tokenizer, probes: list, previous: list[str] | None = None) -> list[dict]:
    """Greedy outputs of the probes, decoding as little as possible.

    A candidate answer that is right under teacher forcing is exactly what greedy decoding would
    produce (see the module doc). So one forward checks, per probe, the expected answer and the
    previous output (from the last evaluation point); only probes matching neither are decoded.
    Late in a run most outputs no longer change, and the samples cost one small forward.
    """
    previous = previous or [p.answer for p in probes]
    pairs = [(p.prompt, p.answer) for p in probes] + [(p.prompt, prev) for p, prev in zip(probes, previous)]
    right = score(model, encode(tokenizer, pairs))[0].tolist()
    n = len(probes)
    known = [p.answer if right[i] else prev if right[n + i] else None
             for i, (p, prev) in enumerate(zip(probes, previous))]
    todo = [p for p, k in zip(probes, known) if k is None]
    if todo:
        # Room for the longest expected answer and a few tokens more: enough to show a wrong answer.
        longest = max(len(tokenizer(" " + p.answer, add_special_tokens=False)["input_ids"]) for p in todo)
        decoded = iter(greedy(model, tokenizer, [p.prompt for p in todo], max_new_tokens=longest + 4))
        known = [k if k is not None else next(decoded) for k in known]
    return [{"capability": p.capability, "prompt": p.prompt, "expected": p.answer, "output": out,
             "correct": out == p.answer} for p, out in zip(probes, known)]
