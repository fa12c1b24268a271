"""The fast scoring paths give what the plain ones give, on a real 2-layer SmolLM2: multiple-choice options read
from their context's KV cache (choice.py) against one forward over each whole context + option row; the greedy
decode that drops ended rows and groups prompts by length against one left-padded `generate()` batch cut at each
row's limit; reference NLLs scored in length-sorted chunks, projecting only answer positions onto the vocabulary,
against chunks in suite order projecting every position; reference NLLs teacher-forced from the decode's KV cache
of the prompts against score(). Same choices, texts, exact matches and first tokens, log-likelihoods within 1e-5
relative."""

import pytest
import torch
import torch.nn.functional as F

from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine import decode as decode_module
from forgetlab.worker.engine.choice import encode_choices, option_logliks
from forgetlab.worker.engine.decode import greedy_rows, greedy_scored
from forgetlab.worker.engine.encoding import IGNORE, encode, prompt_ids, trim
from forgetlab.worker.engine.scoring import score
from forgetlab.worker.engine.model import load


@pytest.fixture(scope="module")
def model_and_tokenizer(truncated):
    return load(truncated)


@pytest.fixture(scope="module")
def probes():
    return get_tier("smollm2").probe_suite().probes


def plain_option_logliks(model, choices) -> torch.Tensor:
    """Every option's summed log-likelihood from one forward over its whole row, one row at a time."""
    batch, sums = choices.batch, []
    with torch.inference_mode():
        for r in range(len(batch)):
            row = trim(batch.take(torch.tensor([r])))
            logprobs = F.log_softmax(model(input_ids=row.input_ids).logits[0, :-1].float(), -1)
            targets = row.labels[0, 1:]
            mask = targets != IGNORE
            sums.append(logprobs[mask.nonzero().squeeze(-1), targets[mask]].sum())
    return torch.stack(sums)


def test_options_from_the_context_cache_score_as_whole_rows(model_and_tokenizer, probes):
    model, tokenizer = model_and_tokenizer
    items = [p for p in probes if p.capability == "knowledge"][:40]  # contexts of several lengths
    choices = encode_choices(tokenizer, items)
    fast = torch.cat(option_logliks(model, choices))
    plain = plain_option_logliks(model, choices)
    assert torch.allclose(fast, plain, rtol=1e-5, atol=0)
    assert [int(r.argmax()) for r in fast.split(choices.counts)] == [int(r.argmax()) for r in plain.split(choices.counts)]


def plain_greedy(model, tokenizer, prompts, limits):
    """The decode the engine used before: one left-padded generate() to the longest limit, each row cut at its own."""
    encoded = prompt_ids(tokenizer, prompts)
    width = max(map(len, encoded))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded])
    mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded])
    cached, model.config.use_cache = model.config.use_cache, True
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max(limits), do_sample=False,
                             pad_token_id=pad, eos_token_id=tokenizer.eos_token_id)
    model.config.use_cache = cached
    rows = []
    for row, limit in zip(out[:, width:].tolist(), limits):
        row = row[:limit]
        cut = tokenizer.eos_token_id not in row
        row = row if cut else row[: row.index(tokenizer.eos_token_id)]
        rows.append((tokenizer.decode(row, skip_special_tokens=True).strip(), cut))
    return rows


def test_the_greedy_decode_gives_the_texts_of_one_generate_batch(model_and_tokenizer, probes, monkeypatch):
    model, tokenizer = model_and_tokenizer
    picked = [p for name in ("instruction", "reasoning", "format", "safety", "support", "sql")
              for p in [q for q in probes if q.capability == name][:5]]
    prompts = [p.prompt for p in picked]
    limits = [6 + 5 * (i % 4) for i in range(len(prompts))]  # rows that end early, late and at their limit
    monkeypatch.setattr(decode_module, "DECODE_ROWS", 8)  # several batches, each of several rows
    assert greedy_rows(model, tokenizer, prompts, max(limits), limits) == plain_greedy(model, tokenizer, prompts, limits)


def decode_with_widths(model, tokenizer, prompts, new_tokens):
    """greedy_rows() of the prompts, and the (rows, positions) of every forward it ran."""
    widths = []
    hook = model.register_forward_pre_hook(lambda _, args, kwargs: widths.append(tuple(kwargs["input_ids"].shape)),
                                           with_kwargs=True)
    try:
        return greedy_rows(model, tokenizer, prompts, new_tokens), widths
    finally:
        hook.remove()


def test_the_decode_reads_the_shared_prefix_once_to_the_same_texts(model_and_tokenizer, probes, monkeypatch):
    """The decode reads the chat template's system turn once and continues every left-padded row from its cache:
    the same texts, token for token, as the decode that reads every prompt whole (sharing switched off)."""
    model, tokenizer = model_and_tokenizer
    picked = [p for name in ("instruction", "knowledge", "sql") for p in [q for q in probes if q.capability == name][:4]]
    prompts = [p.prompt for p in picked]
    monkeypatch.setattr(decode_module, "DECODE_ROWS", 6)  # rows of several prompt lengths in each batch
    batches, real_decode = [], decode_module._decode

    def spy(model, tokenizer, encoded, limits, references=None, route=None):
        batches.append(encoded)
        return real_decode(model, tokenizer, encoded, limits, references, route)

    monkeypatch.setattr(decode_module, "_decode", spy)
    shared, widths = decode_with_widths(model, tokenizer, prompts, 24)
    assert all(len({len(e) for e in rows}) > 1 for rows in batches)  # every batch is left-padded
    prefixes = [w for w in widths if w[0] == 1 and w[1] >= decode_module.SHARED_PREFIX_MIN]
    assert len(prefixes) == len(batches)  # each batch read its prefix once, in a forward of one row
    monkeypatch.setattr(decode_module, "SHARED_PREFIX_MIN", 10**9)  # every prompt read whole, as before
    assert shared == greedy_rows(model, tokenizer, prompts, 24)


def plain_score(model, batch):
    """score(batch, parts=True) as it was first written: chunks of SCORE_ROWS rows in the batch's own order, one
    forward each over every position, every position projected onto the vocabulary."""
    pieces = []
    for i in range(0, len(batch), 16):
        rows = trim(batch.take(torch.arange(i, min(i + 16, len(batch)))))
        with torch.inference_mode():
            logits = model(input_ids=rows.input_ids).logits[:, :-1].float()
        targets = rows.labels[:, 1:]
        mask = targets != IGNORE
        preds = logits.argmax(-1)
        nll = F.cross_entropy(logits.transpose(1, 2), targets.clamp(min=0), reduction="none") * mask
        index = torch.arange(len(rows))
        opening, end = rows.answer_start - 1, (mask * torch.arange(mask.shape[1])).argmax(-1)
        count = mask.sum(-1) - 2
        between = (nll.sum(-1) - nll[index, opening] - nll[index, end]) / count.clamp(min=1)
        split = torch.stack([nll[index, opening], torch.where(count > 0, between, float("nan")), nll[index, end]], -1)
        pieces.append((((preds == targets) | ~mask).all(-1), nll.sum(-1) / mask.sum(-1), preds[index, opening], split))
    return tuple(torch.cat(column) for column in zip(*pieces))


def test_sorted_chunks_score_as_chunks_in_order(model_and_tokenizer, probes):
    """score() reads the shared system turn once, sorts rows into chunks and projects only the answer positions
    onto the vocabulary: the same exact matches and first tokens, NLLs (whole and split) within 1e-5 relative."""
    model, tokenizer = model_and_tokenizer
    picked = [p for name in ("reasoning", "support", "format", "safety") for p in
              [q for q in probes if q.capability == name][:12]]
    batch = encode(tokenizer, [(p.prompt, p.answer) for p in picked])
    correct, nll, first, split = score(model, batch, parts=True)
    want_correct, want_nll, want_first, want_split = plain_score(model, batch)
    assert torch.equal(correct, want_correct) and torch.equal(first, want_first)
    assert torch.allclose(nll, want_nll, rtol=1e-5, atol=0)
    assert torch.allclose(split, want_split, rtol=1e-5, atol=0, equal_nan=True)


def test_references_from_the_decode_cache_score_as_score(model_and_tokenizer, probes, monkeypatch):
    """References teacher-forced from the decode's KV cache of their prompts (several decode batches, each of
    several prompt lengths and several chunks of answers): the texts of the decode without references, token for
    token, and score()'s exact matches, first tokens and NLLs (whole and split) within 1e-5 relative."""
    model, tokenizer = model_and_tokenizer
    picked = [p for name in ("instruction", "reasoning", "support", "format", "safety", "sql") for p in
              [q for q in probes if q.capability == name][:7]]
    monkeypatch.setattr(decode_module, "DECODE_ROWS", 20)  # 42 rows: three batches, of 16-row chunks and fewer
    batch = encode(tokenizer, [(p.prompt, p.answer) for p in picked])
    references = [labels[labels != IGNORE].tolist() for labels in batch.labels]
    prompts = [p.prompt for p in picked]
    limits = [4 + 3 * (i % 5) for i in range(len(picked))]
    rows, (correct, nll, first, split) = greedy_scored(model, tokenizer, prompts, limits, references)
    assert rows == greedy_rows(model, tokenizer, prompts, max(limits), limits)
    want_correct, want_nll, want_first, want_split = score(model, batch, parts=True)
    assert torch.equal(correct, want_correct) and torch.equal(first, want_first)
    assert torch.allclose(nll, want_nll, rtol=1e-5, atol=0)
    assert torch.allclose(split, want_split, rtol=1e-5, atol=0, equal_nan=True)


def test_exact_match_scores_as_every_position_projected():
    """The synthetic tier's exact match reads the same argmaxes: right answers, wrong ones and longer ones. Mean
    NLLs within 1e-5 relative; the split's one-token parts within 1e-5 relative or 2e-6 nats."""
    model, tokenizer = load()
    pairs = [(p.prompt, p.answer) for p in get_tier("synthetic").probe_suite().probes[:40]]
    pairs += [(prompt, answer + " " + answer) for prompt, answer in pairs[:8]]
    batch = encode(tokenizer, pairs)
    correct, nll, first, split = score(model, batch, parts=True)
    want_correct, want_nll, want_first, want_split = plain_score(model, batch)
    assert torch.equal(correct, want_correct) and torch.equal(first, want_first)
    assert correct.any() and not correct.all()
    assert torch.allclose(nll, want_nll, rtol=1e-5, atol=0)
    # One token's NLL of a right answer is about 0.1 nats here, so its float rounding is 1e-5 of it: 2e-6 nats.
    assert torch.allclose(split, want_split, rtol=1e-5, atol=2e-6, equal_nan=True)


def test_the_synthetic_decode_shares_a_prefix_only_to_the_same_texts(monkeypatch):
    """Two synthetic prompts that open with the same 8 tokens (bos and 7 words) and differ in length: the decode
    shares their prefix and gives the texts of the decode that reads each prompt whole."""
    model, tokenizer = load()
    prompts = [p.prompt for p in get_tier("synthetic").probe_suite().probes
               if p.prompt.startswith("ticket billing app order 8 5 3 ")][:2]
    assert len(prompts) == 2 and len({len(e) for e in prompt_ids(tokenizer, prompts)}) == 2
    shared, widths = decode_with_widths(model, tokenizer, prompts, 6)
    assert widths[0] == (1, decode_module.SHARED_PREFIX_MIN)  # the 8 shared tokens, read once
    monkeypatch.setattr(decode_module, "SHARED_PREFIX_MIN", 10**9)
    assert shared == greedy_rows(model, tokenizer, prompts, 6)
