"""Turning (prompt, answer) pairs into padded tensors with answer-only labels.

Sequence layout: [bos] prompt answer [eos], right-padded. Labels are -100 everywhere but the
answer and eos, so loss and exact match both look at the answer alone. Right padding keeps
every real position's logits identical to an unpadded forward under a causal mask.

A model whose tokenizer carries a chat template (an instruct model such as SmolLM2) gets its
prompts as user messages through that template, and its answer as the assistant's turn ended by
its end-of-turn token: exactly the text it was tuned on. Labels never depend on the pad id, which
such models often share with eos.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100


class VocabularyError(ValueError):
    """The tokenizer cannot spell the suite (unknown tokens); the message is for the user."""


@dataclass
class Batch:
    input_ids: torch.Tensor  # (n, length) long
    labels: torch.Tensor  # (n, length) long, IGNORE outside answers
    answer_start: torch.Tensor  # (n,) index of the first answer token in input_ids

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def take(self, index: torch.Tensor) -> "Batch":
        return Batch(self.input_ids[index], self.labels[index], self.answer_start[index])

    def to(self, device: str | torch.device) -> "Batch":
        """The same rows on `device` (no copy when they are already there)."""
        return Batch(self.input_ids.to(device), self.labels.to(device), self.answer_start.to(device))


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def is_chat(tokenizer) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def text_ids(tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids of texts, no special tokens added: what `tokenizer(texts, add_special_tokens=False)` gives, read
    straight from the fast tokenizer's batch encoding. transformers' own call converts every text's encoding to a
    dict of fields the engine never reads, which was most of a synthetic run's setup (it encodes its task data and
    general pool, thousands of examples; docs/grouped-training.md)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or backend.truncation is not None or backend.padding is not None:
        return tokenizer(texts, add_special_tokens=False)["input_ids"]
    return [encoding.ids for encoding in backend.encode_batch(texts, add_special_tokens=False)]


def prompt_ids(tokenizer, prompts: list[str]) -> list[list[int]]:
    """Token ids of prompts as the model reads them: chat-formatted with the assistant's turn opened,
    or [bos] + the prompt."""
    if is_chat(tokenizer):
        chats = [[{"role": "user", "content": p}] for p in prompts]
        return list(tokenizer.apply_chat_template(chats, add_generation_prompt=True, tokenize=True)["input_ids"])
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    return [bos + ids for ids in text_ids(tokenizer, prompts)]


def token_lists(tokenizer, pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, answer ids + eos) for each pair; raises VocabularyError on unknown tokens."""
    prompts = prompt_ids(tokenizer, [p for p, _ in pairs])
    # A word-level vocabulary joins words with spaces; a chat model's answer starts its own turn.
    lead = "" if is_chat(tokenizer) else " "
    answers = text_ids(tokenizer, [lead + a for _, a in pairs])
    unk = tokenizer.unk_token_id if not is_chat(tokenizer) else None
    if unk is not None:
        unknown = sorted({w for (p, a) in pairs for w in (p + " " + a).split()
                          if unk in tokenizer(w, add_special_tokens=False)["input_ids"]}) if any(
            unk in ids for ids in prompts + answers) else []
        if unknown:
            raise VocabularyError(f"the model's vocabulary does not cover the suite: {len(unknown)} unknown "
                                  f"tokens, e.g. {', '.join(unknown[:5])}")
    return [(p, a + [tokenizer.eos_token_id]) for p, a in zip(prompts, answers)]


def encode(tokenizer, pairs: list[tuple[str, str]], length: int | None = None) -> Batch:
    """Pad to `length` (pools that are stacked into one batch share it) or to the longest pair."""
    seqs = token_lists(tokenizer, pairs)
    longest = max(len(p) + len(a) for p, a in seqs)
    if length is not None and longest > length:
        raise VocabularyError(f"an example is {longest} tokens long, over the model's limit of {length}")
    length = length or longest
    ids = torch.full((len(seqs), length), _pad_id(tokenizer), dtype=torch.long)
    labels = torch.full((len(seqs), length), IGNORE, dtype=torch.long)
    for i, (p, a) in enumerate(seqs):
        ids[i, : len(p) + len(a)] = torch.tensor(p + a)
        labels[i, len(p): len(p) + len(a)] = torch.tensor(a)
    starts = torch.tensor([len(p) for p, _ in seqs])
    return Batch(ids, labels, starts)


def trim(batch: Batch) -> Batch:
    """Drop trailing columns that are padding in every row (batches sampled from a long pool)."""
    used = int((batch.labels != IGNORE).any(0).nonzero().max()) + 1
    return Batch(batch.input_ids[:, :used], batch.labels[:, :used], batch.answer_start)


def concatenate(batches: list[Batch], pad_id: int) -> Batch:
    """Several batches as one, in order, right-padded to the widest (padding is never a label, and under a causal
    mask it changes no real position's logits): a group's members' rows (worker/engine/grouped.py)."""
    width = max(b.input_ids.shape[1] for b in batches)

    def pad(t: torch.Tensor, value: int) -> torch.Tensor:
        return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=value)

    return Batch(torch.cat([pad(b.input_ids, pad_id) for b in batches]),
                 torch.cat([pad(b.labels, IGNORE) for b in batches]), torch.cat([b.answer_start for b in batches]))
