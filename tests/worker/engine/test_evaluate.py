"""Teacher-forced exact match agrees with greedy decoding; samples show outputs."""

import copy

import torch

from forgetlab.worker.engine.decode import greedy
from forgetlab.worker.engine.evaluate import evaluate, samples
from forgetlab.worker.engine.scoring import score


def test_teacher_forced_exact_match_equals_greedy(base, encoded_suite):
    model, tokenizer = base
    damaged = copy.deepcopy(model)
    with torch.no_grad():  # a damaged copy gives a mix of right and wrong answers to compare
        for p in damaged.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(0)) * 0.05)
    for m in (model, damaged):
        for name, batch in encoded_suite.batches.items():
            probes = [p for p in encoded_suite.suite.probes if p.capability == name][:24]
            correct, _, _ = score(m, batch.take(torch.arange(len(probes))))
            decoded = greedy(m, tokenizer, [p.prompt for p in probes])
            assert correct.tolist() == [out == p.answer for out, p in zip(decoded, probes)], name
    # the damage must actually produce some wrong answers, or the check above proves little
    assert any(v["accuracy"] < 0.9 for v in evaluate(damaged, encoded_suite)["capabilities"].values())


def test_samples_show_expected_and_output(base, encoded_suite):
    model, tokenizer = base
    probes = [p for p in encoded_suite.suite.probes if p.capability == "instruction"][:3]
    out = samples(model, tokenizer, probes)
    assert [s["expected"] for s in out] == [p.answer for p in probes]
    assert all(s["correct"] and s["output"] == s["expected"] for s in out)


def test_nll_split_adds_back_to_the_whole(base, encoded_suite):
    # first token + the tokens between + the end token is the whole answer's NLL, probe by probe;
    # the split is what tells a shifted answer format (first and end move) from lost content.
    from forgetlab.worker.engine.encoding import IGNORE
    from forgetlab.worker.engine.scoring import nll_parts

    model, _ = base
    for name, batch in encoded_suite.batches.items():
        correct, nll, first, split = score(model, batch, parts=True)
        assert torch.equal(correct, score(model, batch)[0]) and torch.allclose(nll, score(model, batch)[1])
        n = (batch.labels != IGNORE).sum(-1).float()
        between = torch.nan_to_num(split[:, 1]) * (n - 2)
        assert torch.allclose(split[:, 0] + between + split[:, 2], nll * n, atol=1e-4), name
        assert torch.isnan(split[:, 1]).equal(n == 2)
        parts = nll_parts(split, nll)
        assert parts["whole"] == nll.mean().item() and parts["end"] == split[:, 2].mean().item()


def test_text_ids_are_the_tokenizers_own(base, encoded_suite):
    """The engine's fast path to token ids gives what the tokenizer's own call gives (unknown words included)."""
    from forgetlab.worker.engine.encoding import text_ids

    _, tokenizer = base
    texts = [f"{p.prompt} {p.answer}" for p in encoded_suite.suite.probes] + ["", "  spaced   words ", "zzqx unknown"]
    assert text_ids(tokenizer, texts) == tokenizer(texts, add_special_tokens=False)["input_ids"]
