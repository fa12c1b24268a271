"""Multiple-choice items scored by likelihood: no generation, one forward over every option of an item.

An item (a probe whose check is {"type": "choice", "options": [...], "answer": i}) is passed when its
right option has the highest summed log-likelihood as the assistant's answer to its prompt: the sum of
the option's token log-probabilities, not divided by its length (lm-evaluation-harness's `acc`).

Tokens are split the way lm-evaluation-harness splits a context and a continuation, so that
`forgetlab suites export --lm-eval` gives the same accuracy there (tests/worker/test_lm_eval_export.py):
the context is the prompt as the model reads it (through the chat template, the assistant's turn opened),
the whole text context + option is tokenized at once, and the option's tokens are what follows the
context's. A context's trailing whitespace moves to the continuation, so the newline that opens the
assistant's turn is scored with every option (the same token each time). No end-of-turn token is
scored: the option, not where the answer stops, is being chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from forgetlab.core.lm_eval_export import is_choice  # noqa: F401  (re-exported for evaluate.py)

from .encoding import IGNORE, Batch, is_chat, trim

ITEMS_PER_FORWARD = 4  # four items of four options: 16 rows, the size evaluate.score() keeps its logits at


def context_text(tokenizer, prompt: str) -> str:
    """The prompt as the model reads it, as text: chat-formatted with the assistant's turn opened (what
    lm-evaluation-harness's --apply_chat_template builds), or the bare prompt."""
    if is_chat(tokenizer):
        return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
    return prompt


def split_tokens(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context ids, continuation ids) as lm-evaluation-harness splits them: tokenize the whole text,
    and the continuation is what follows the context's own tokens. Trailing spaces of the context move
    to the continuation."""
    spaces = len(context) - len(context.rstrip())
    if spaces:
        context, continuation = context[:-spaces], context[-spaces:] + continuation
    whole = tokenizer(context + continuation)["input_ids"]
    head = tokenizer(context)["input_ids"]
    return head, whole[len(head):]


@dataclass
class ChoiceBatch:
    """Every option of every item, one row each (right-padded; labels mark the option's tokens)."""

    batch: Batch
    per_item: int  # options per item
    answers: torch.Tensor  # (items,) index of each item's right option

    def __len__(self) -> int:
        return len(self.answers)


def encode_choices(tokenizer, probes: list) -> ChoiceBatch:
    # A word-level vocabulary joins words with spaces (lm-evaluation-harness's default delimiter); a chat
    # model's answer starts its own turn.
    lead = "" if is_chat(tokenizer) else " "
    per_item = len(probes[0].check["options"])
    rows = []
    for p in probes:
        if len(p.check["options"]) != per_item:
            raise ValueError(f"every item needs {per_item} options: {p.prompt!r} has {len(p.check['options'])}")
        context = context_text(tokenizer, p.prompt)
        rows += [split_tokens(tokenizer, context, lead + option) for option in p.check["options"]]
    length = max(len(c) + len(o) for c, o in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.full((len(rows), length), pad, dtype=torch.long)
    labels = torch.full((len(rows), length), IGNORE, dtype=torch.long)
    for i, (c, o) in enumerate(rows):
        ids[i, : len(c) + len(o)] = torch.tensor(c + o)
        labels[i, len(c): len(c) + len(o)] = torch.tensor(o)
    starts = torch.tensor([len(c) for c, _ in rows])
    answers = torch.tensor([p.check["answer"] for p in probes])
    return ChoiceBatch(Batch(ids, labels, starts), per_item, answers)


@torch.inference_mode()
def option_logliks(model, choices: ChoiceBatch) -> torch.Tensor:
    """(items, options) summed log-likelihood of each option: one forward per ITEMS_PER_FORWARD items,
    every option of an item in the same forward."""
    rows = ITEMS_PER_FORWARD * choices.per_item
    out = []
    for i in range(0, len(choices.batch), rows):
        batch = trim(choices.batch.take(torch.arange(i, min(i + rows, len(choices.batch)))).to(model.device))
        start = int(batch.answer_start.min())
        logits = model(input_ids=batch.input_ids, logits_to_keep=batch.input_ids.shape[1] - start + 1).logits
        logprobs = F.log_softmax(logits[:, :-1].float(), -1)
        targets = batch.labels[:, start:]
        mask = targets != IGNORE
        picked = logprobs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        out.append((picked * mask).sum(-1))
    return torch.cat(out).view(len(choices), choices.per_item)


def choose(model, choices: ChoiceBatch) -> tuple[list[bool], list[int]]:
    """Per item: whether the most likely option is the right one, and which option that is (the first of
    equals, as lm-evaluation-harness's argmax)."""
    was_training = model.training
    model.eval()
    picked = option_logliks(model, choices).argmax(-1).cpu()
    model.train(was_training)
    return (picked == choices.answers).tolist(), picked.tolist()
