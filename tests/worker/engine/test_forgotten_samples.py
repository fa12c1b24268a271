"""The sample answers show forgetting: a capability's fixed sample probe gives way to a probe the base
passed and the damaged model now fails; a capability that lost nothing keeps its own."""

import copy

import torch

from forgetlab.worker.engine.evaluate import evaluate, forgotten_probes, sample_probes, samples


def test_samples_swap_in_a_forgotten_probe(base, encoded_suite):
    model, tokenizer = base
    damaged = copy.deepcopy(model)
    with torch.no_grad():  # light damage: some answers go wrong, most stay right
        for p in damaged.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(0)) * 0.02)
    before, after = evaluate(model, encoded_suite)["items"], evaluate(damaged, encoded_suite)["items"]
    fixed = sample_probes(encoded_suite.suite, per_name=1)
    shown = forgotten_probes(fixed, encoded_suite, before, after)
    assert [p.capability for p in shown] == [p.capability for p in fixed]
    swapped = 0
    for probe, old in zip(shown, fixed):
        if old.capability not in after:  # the task: no per-probe results, never swapped
            assert probe is old
            continue
        index = encoded_suite.probes(probe.capability).index(probe)
        lost = [was and not now for (was, _), (now, _) in zip(before[probe.capability], after[probe.capability])]
        if any(lost):
            assert lost[index], probe.capability  # the shown probe is one the damaged model forgot
            swapped += probe is not old
        else:
            assert probe is old
    assert swapped, "the damage forgot nothing that the fixed samples missed; the test proves little"
    out = samples(damaged, tokenizer, shown)
    assert any(not s["correct"] for s in out)
