"""Multiple-choice items scored by likelihood: no generation, one forward over every option of an item.

An item (a probe whose check is {"type": "choice", "options": [...], "reference": the right option}) passes when its
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

ROWS_PER_FORWARD = 16  # four items of four options, the size evaluate.score() keeps its logits at


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


def right_option(check: dict) -> int:
    """The index of an item's right option: the option equal to its reference."""
    return check["options"].index(check["reference"])


@dataclass
class ChoiceBatch:
    """Every option of every item, one row each (right-padded; labels mark the option's tokens)."""

    batch: Batch
    counts: list[int]  # options per item (an engineer's suite may vary it)
    answers: list[int]  # index of each item's right option

    def __len__(self) -> int:
        return len(self.answers)

    def to(self, device) -> "ChoiceBatch":
        return ChoiceBatch(self.batch.to(device), self.counts, self.answers)


def encode_choices(tokenizer, probes: list) -> ChoiceBatch:
    # A word-level vocabulary joins words with spaces (lm-evaluation-harness's default delimiter); a chat
    # model's answer starts its own turn.
    lead = "" if is_chat(tokenizer) else " "
    rows = []
    for p in probes:
        context = context_text(tokenizer, p.prompt)
        rows += [split_tokens(tokenizer, context, lead + option) for option in p.check["options"]]
    if any(not o for _, o in rows):
        raise ValueError("an option has no tokens of its own")
    length = max(len(c) + len(o) for c, o in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.full((len(rows), length), pad, dtype=torch.long)
    labels = torch.full((len(rows), length), IGNORE, dtype=torch.long)
    for i, (c, o) in enumerate(rows):
        ids[i, : len(c) + len(o)] = torch.tensor(c + o)
        labels[i, len(c): len(c) + len(o)] = torch.tensor(o)
    starts = torch.tensor([len(c) for c, _ in rows])
    return ChoiceBatch(Batch(ids, labels, starts), [len(p.check["options"]) for p in probes],
                       [right_option(p.check) for p in probes])


@torch.inference_mode()
def option_logliks(model, choices: ChoiceBatch) -> list[torch.Tensor]:
    """Per item, the summed log-likelihood of each of its options. Whole items go into each forward (every
    option of an item in the same one), up to ROWS_PER_FORWARD rows."""
    ends = torch.tensor(choices.counts).cumsum(0).tolist()
    scores, first = [], 0
    while first < len(ends):
        last = first  # the items of this forward: first..last
        while last + 1 < len(ends) and ends[last + 1] - (ends[first - 1] if first else 0) <= ROWS_PER_FORWARD:
            last += 1
        lo, hi = (ends[first - 1] if first else 0), ends[last]
        batch = trim(choices.batch.take(torch.arange(lo, hi)).to(model.device))
        start = int(batch.answer_start.min())
        logits = model(input_ids=batch.input_ids, logits_to_keep=batch.input_ids.shape[1] - start + 1).logits
        logprobs = F.log_softmax(logits[:, :-1].float(), -1)
        targets = batch.labels[:, start:]
        mask = targets != IGNORE
        picked = logprobs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        scores.append((picked * mask).sum(-1).cpu())
        first = last + 1
    return list(torch.cat(scores).split(choices.counts))


def choose(model, choices: ChoiceBatch) -> tuple[list[bool], list[int]]:
    """Per item: whether the most likely option is the right one, and which option that is (the first of
    equals, as lm-evaluation-harness's argmax)."""
    was_training = model.training
    model.eval()
    picked = [int(row.argmax()) for row in option_logliks(model, choices)]
    model.train(was_training)
    return [k == a for k, a in zip(picked, choices.answers)], picked
