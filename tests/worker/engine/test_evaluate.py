"""Teacher-forced exact match agrees with greedy decoding; samples show outputs."""

import copy

import torch

from forgetlab.worker.engine.evaluate import evaluate, greedy, samples, score


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
