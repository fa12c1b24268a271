"""Multiple-choice items scored by likelihood (worker/engine/choice.py), on a real 2-layer SmolLM2."""

import pytest
import torch

from forgetlab.core.probes import Probe, Suite
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.choice import choose, context_text, encode_choices, option_logliks
from forgetlab.worker.engine.encoding import IGNORE, prompt_ids
from forgetlab.worker.engine.evaluate import EncodedSuite, evaluate
from forgetlab.worker.engine.model import load


@pytest.fixture(scope="module")
def model_and_tokenizer(truncated):
    return load(truncated)


@pytest.fixture(scope="module")
def knowledge():
    return [p for p in get_tier("smollm2").probe_suite().probes if p.capability == "knowledge"]


def test_options_follow_the_prompt_as_the_model_reads_it(model_and_tokenizer, knowledge):
    _, tokenizer = model_and_tokenizer
    item = knowledge[0]
    encoded = encode_choices(tokenizer, [item])
    context = prompt_ids(tokenizer, [item.prompt])[0]
    assert context_text(tokenizer, item.prompt).endswith("<|im_start|>assistant\n")
    newline = tokenizer("\n", add_special_tokens=False)["input_ids"]
    assert context[-len(newline):] == newline
    for row, option in enumerate(item.check["options"]):
        ids, labels = encoded.batch.input_ids[row], encoded.batch.labels[row]
        # The context generation reads, but for the newline that opens the assistant's turn: as in
        # lm-evaluation-harness, a context's trailing whitespace is scored with the option (the same
        # token for every option). No end-of-turn token is scored.
        assert ids[: len(context) + 1].tolist() == context + tokenizer(option, add_special_tokens=False)["input_ids"][:1]
        tokens = labels[labels != IGNORE].tolist()
        assert tokens[: len(newline)] == newline and tokenizer.decode(tokens) == "\n" + option
    assert encoded.answers == [item.check["options"].index(item.check["reference"])] and encoded.counts == [4]


def test_batched_options_score_as_each_option_alone(model_and_tokenizer, knowledge):
    model, tokenizer = model_and_tokenizer
    items = knowledge[:6]  # two forwards: four items, then two
    together = torch.stack(option_logliks(model, encode_choices(tokenizer, items)))
    assert together.shape == (6, 4)
    for i, item in enumerate(items):
        for j, option in enumerate(item.check["options"]):
            one = Probe(item.prompt, option, "knowledge", check={**item.check, "options": [option], "reference": option})
            alone = option_logliks(model, encode_choices(tokenizer, [one]))[0]
            assert alone.item() == pytest.approx(together[i, j].item(), abs=1e-4)
    # An engineer's suite may give its items different numbers of options.
    three = Probe(items[0].prompt, items[0].answer, "knowledge",
                  check={**items[0].check, "options": items[0].check["options"][:3]})
    mixed = option_logliks(model, encode_choices(tokenizer, [three, items[1]]))
    assert [len(row) for row in mixed] == [3, 4] and mixed[1].tolist() == pytest.approx(together[1].tolist(), abs=1e-4)
    passed, picked = choose(model, encode_choices(tokenizer, items))
    assert picked == together.argmax(-1).tolist()
    assert passed == [it.check["options"][p] == it.check["reference"] for p, it in zip(picked, items)]


def test_a_choice_capability_is_scored_without_generating(model_and_tokenizer, knowledge, monkeypatch):
    from forgetlab.worker.engine import evaluate as evaluate_module

    model, tokenizer = model_and_tokenizer
    tier = get_tier("smollm2")
    suite = Suite(knowledge[:8], judge=tier.probe_suite().judge)
    encoded = EncodedSuite.build(suite, tokenizer, max_new_tokens=8)
    assert set(encoded.choices) == {"knowledge"}
    monkeypatch.setattr(evaluate_module, "greedy_scored", lambda *a, **k: pytest.fail("generated"))
    result = evaluate(model, encoded)
    passed, picked = choose(model, encoded.choices["knowledge"])
    assert result["capabilities"]["knowledge"]["accuracy"] == sum(passed) / 8
    assert [result["outputs"][p.prompt] for p in knowledge[:8]] == [
        p.check["options"][i] for p, i in zip(knowledge[:8], picked)]  # the option chosen is the output shown
    assert [i[0] for i in result["items"]["knowledge"]] == passed
    assert result["truncated"] == {} and torch.isfinite(torch.tensor(result["capabilities"]["knowledge"]["nll"]))
