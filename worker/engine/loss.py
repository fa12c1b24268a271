"""The answer loss of a causal LM, projecting onto the vocabulary only the positions whose next token is a label.

A model's own loss (`model(input_ids, labels=labels).loss`) projects every position's hidden state onto the
vocabulary, then ignores all but the answers' positions. SmolLM2's vocabulary is 49,152 words, so that projection
is a fifth of each position's arithmetic, and most of a training row is its prompt (the chat template's system
turn and the ticket). `answer_loss` runs the model's decoder, keeps the hidden states of the labelled positions
and projects those alone: the same mean cross-entropy over the same tokens, to float rounding (the sums run over
fewer terms in another order; tests/worker/engine/test_answer_loss.py compares the two paths, values and
gradients).

`logits_at` serves scoring too (scoring.py: reference NLLs and exact match read the answer positions only).
Models whose logits are not their output embedding applied to the decoder's last hidden state (a logit scale or
soft cap) are projected by their own forward, every position, and the kept positions read from that: the model
types in PLAIN_HEAD alone take the short path.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .encoding import IGNORE
from .kv_cache import SHARED_PREFIX_MIN, prefix_cache, shared_prefix

# Model types whose causal LM computes logits = output_embeddings(decoder(input_ids).last_hidden_state).
PLAIN_HEAD = {"llama"}


def logits_at(model, input_ids: torch.Tensor, positions: torch.Tensor, **forward) -> torch.Tensor:
    """The float logits of the positions where `positions` (a bool mask shaped like input_ids) is True, one row
    each in row-major order. `forward`: further arguments of the model's forward (a KV cache)."""
    if model.config.model_type not in PLAIN_HEAD:
        return model(input_ids=input_ids, **forward).logits[positions].float()
    hidden = model.get_decoder()(input_ids=input_ids, **forward).last_hidden_state[positions]
    return model.get_output_embeddings()(hidden).float()


def answer_loss(model, input_ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every label (a token other than IGNORE) given the tokens before it, as the
    model's own causal LM loss computes it, for one run's rows.

    On the CPU the tokens all the rows open with (a chat template's system turn, a fifth of a SmolLM2 training
    row) are read once, as scoring reads them (kv_cache.prefix_cache()), up to the first position that predicts a
    label (docs/benchmarks.md, "Training reads the shared opening once"). Not on a GPU, where a SmolLM2 step is
    bound by its kernel launches and the opening's own forward and backward would add more; nor while dropout is
    on (a LoRA dropout the user set), which would then draw one mask for the opening of every row."""
    return answer_losses(model, input_ids, labels, [len(input_ids)], one_run=True)[0]


def _dropout_on(model) -> bool:
    if not model.training:
        return False
    return (getattr(model.config, "attention_dropout", 0.0) or 0.0) > 0 or any(
        isinstance(m, torch.nn.Dropout) and m.p > 0 for m in model.modules())


def answer_losses(model, input_ids: torch.Tensor, labels: torch.Tensor, rows: list[int],
                  one_run: bool = False) -> list[torch.Tensor]:
    """answer_loss() of each stretch of `rows` consecutive rows (a group's members, worker/engine/grouped.py),
    from one forward: a stretch's labelled positions are one stretch of the projected positions (`split`, not
    slices: the backward then builds the logits' gradient once, not once per stretch). A group's rows go through
    their own members' adapters, which the opening's one row cannot carry: only `one_run` reads it once."""
    targets = labels[:, 1:]
    kept = targets != IGNORE
    positions = F.pad(kept, (0, 1))
    shared, cache = 0, None
    if one_run and input_ids.device.type == "cpu" and kept.any():
        opening = shared_prefix(input_ids, int(kept.any(0).long().argmax()))
        # Dropout is asked about only where an opening is shared: walking the modules costs ~1% of a synthetic step.
        if opening >= SHARED_PREFIX_MIN and not _dropout_on(model):
            shared, cache = prefix_cache(model, input_ids, opening)
    logits = logits_at(model, input_ids[:, shared:], positions[:, shared:], cache=cache, use_cache=cache is not None)
    counts = [int(part.sum()) for part in kept.split(rows)]
    return [F.cross_entropy(part, goal) for part, goal in zip(logits.split(counts), targets[kept].split(counts))]
