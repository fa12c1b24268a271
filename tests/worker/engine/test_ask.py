"""Asking a run's saved model: the base's and the fine-tuned model's greedy answers, as the engine has them."""

import pytest

from forgetlab.core.presets import preset_scenario
from forgetlab.core.tiers import get_tier
from forgetlab.worker.engine.artifacts import save_run
from forgetlab.worker.engine.ask import AskError, ask
from forgetlab.worker.engine.evaluate import greedy
from forgetlab.worker.engine.train import fine_tune


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    scenario = preset_scenario("break-it")
    _, model, base = fine_tune(scenario)
    tier = get_tier(scenario.tier)
    path = tmp_path_factory.mktemp("ask") / "run"
    save_run(model, scenario, tier, path)
    return tier, path, model, base


def test_both_answers_are_the_models_greedy_answers(saved):
    tier, path, model, base = saved
    from forgetlab.worker.engine.base_view import base_view

    tokenizer = base_view(tier, preset_scenario("break-it").task).tokenizer
    suite = tier.probe_suite()
    prompts = [p.prompt for c in suite.capabilities for p in [q for q in suite.probes if q.capability == c][:3]]
    for prompt in prompts:
        got = ask(tier, path, prompt)
        assert got["base"] == greedy(base, tokenizer, [prompt], tier.generation_tokens)[0]
        assert got["tuned"] == greedy(model, tokenizer, [prompt], tier.generation_tokens)[0]
    # Three probes of each capability after break-it: the fine-tuned model answers at least one of them differently.
    assert any(ask(tier, path, p)["base"] != ask(tier, path, p)["tuned"] for p in prompts)


def test_words_outside_the_vocabulary_are_named(saved):
    tier, path, _, _ = saved
    with pytest.raises(AskError, match="no token for: zebra"):
        ask(tier, path, "zebra")


def test_a_run_without_a_saved_model_says_so(tmp_path):
    with pytest.raises(AskError, match="was not kept"):
        ask(get_tier("synthetic"), tmp_path / "missing", "anything")


def test_the_user_guides_example_reproduces(saved):
    """docs/user-guide.md quotes one question asked after Break it (base 0, seed 0) and both answers: asking
    again gives exactly those answers, so the guide cannot drift from the world and the shipped base."""
    import re
    from pathlib import Path

    tier, path, _, _ = saved
    guide = (Path(__file__).resolve().parents[3] / "docs" / "user-guide.md").read_text()
    prompt, base, tuned = re.search(r"After Break it,\s+`([^`]+)` comes back `([^`]*)` from the base and\s+"
                                    r"`([^`]*)` from the fine-tuned", guide).groups()
    got = ask(tier, path, prompt)
    assert (got["base"], got["tuned"]) == (base, tuned)
