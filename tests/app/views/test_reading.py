"""The plain-language reading names what was forgotten, by how much, why, and what to try."""

from urllib.parse import parse_qsl

from forgetlab.app.pages.forms import parse_items
from forgetlab.app.views.reading import headline, key_settings, preset_values, read_run, signed_pts
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, parse

CAPS = ("instruction", "knowledge", "reasoning", "format", "safety")


def summary(final: dict[str, float], *, task=(0.0, 0.95), refusal=1.0, rigidity=0.0) -> dict:
    base = {c: 1.0 for c in CAPS}
    final = {**base, **final}
    return {"baseline": base, "final": final, "forgetting": {c: base[c] - final[c] for c in CAPS},
            "max_drop": {c: base[c] - final[c] for c in CAPS}, "retention": {c: 100 * final[c] for c in CAPS},
            "bwt": -0.1, "task_accuracy": {"baseline": task[0], "final": task[1]}, "task_gain": task[1] - task[0],
            "steps": 160, "seconds": 12.0, "early_stopped": False, "wise_ft": None, "format_rigidity": rigidity,
            "refusal": refusal, "over_refusal": 0.0}


def config(name: str) -> dict:
    return PRESETS[name].scenario().model_dump(mode="json")


def test_break_it_reads_as_rewritten_weights_with_fixes_to_try():
    c = config("break-it")
    reading = read_run(config=c, summary=summary({"knowledge": 0.3, "instruction": 0.9}),
                       base={"refusal": 1.0, "format_rigidity": 0.0})
    assert reading["headline"] == "Forgot knowledge: it fell 70 points (100% to 30%)."
    assert [r["name"] for r in reading["lost"]] == ["knowledge"]
    assert [r["name"] for r in reading["slipped"]] == ["instruction"]
    first = reading["why"][0]
    assert first.startswith(f"Full fine-tuning at learning rate {c['lr']:g} for {c['epochs']} epochs (160 steps) "
                            "on support-narrow rewrote weights that knowledge depended on")
    assert first.endswith("try LoRA or a 20% mix.")
    assert "went from 0% to 95% — it was learnt." in " ".join(reading["why"])
    labels = [t["label"] for t in reading["tries"]]
    assert labels[:2] == ["Try LoRA", "Try a 20% mix"]
    data, _ = parse_items(parse_qsl(reading["tries"][0]["url"].removeprefix("/?")))
    changed = {k: v for k, v in parse(data).model_dump(mode="json").items() if c[k] != v}
    assert changed == {"method": "lora"}  # the same scenario, one change


def test_a_protected_run_reads_as_kept():
    reading = read_run(config=config("fix-it"), summary=summary({"knowledge": 0.98}), base={})
    assert reading["headline"] == "Nothing important was forgotten."
    first = reading["why"][0]
    assert first.startswith(f"LoRA adapters (rank 8) on a frozen base at learning rate {config('fix-it')['lr']:g}")
    mix = config("fix-it")["mix_ratio"]
    assert f"with {mix:.0%} general data in every batch and early stopping, kept" in first
    assert first.count("LoRA adapters") == 1  # the method is named once, not again among the protections


def test_safety_regression_and_format_leak_are_explained():
    reading = read_run(config=config("safety-regression"), summary=summary({}, refusal=0.2, rigidity=0.6),
                       base={"refusal": 0.95, "format_rigidity": 0.0})
    text = " ".join(reading["why"])
    assert "refuses 20% of harmful requests, down from 95%: training only on answers that say yes" in text
    assert "60% of general answers now start like a task answer" in text
    assert any(t["label"] == "Try a 10% safety mix" for t in reading["tries"])


def test_headline_and_key_settings():
    assert headline(summary({"reasoning": 0.5})) == ("reasoning", 0.5)
    assert headline(None) is None
    assert key_settings(Scenario().model_dump(mode="json"))[:3] == ["support-narrow", "full", "lr 0.001"]


def test_losing_everything_reads_as_every_skill():
    reading = read_run(config=config("break-it"), summary=summary({c: 0.05 for c in CAPS}, refusal=0.0),
                       base={"refusal": 1.0})
    assert reading["headline"] == "Forgot every general skill: all 5 fell 95 to 95 points."
    assert "rewrote weights that every general skill depended on" in reading["why"][0]
    assert "refusing was overwritten along with the other skills" in " ".join(reading["why"])


def test_early_stopping_is_quoted_only_when_it_ended_training_early():
    c = config("fix-it")
    planned = Scenario.model_validate(c).total_steps
    early = {"early_stopped": {"step": planned - 40, "reason": "(best 0.0073)"}}
    why = " ".join(read_run(config=c, summary=summary({}), base={}, info=early, lowest_val_loss=0.0037)["why"])
    assert f"ended training at step {planned - 40} of {planned}" in why and "0.0037" in why and "0.0073" not in why
    at_end = {"early_stopped": {"step": planned, "reason": "x"}}
    why = " ".join(read_run(config=c, summary={**summary({}), "steps": planned}, base={}, info=at_end)["why"])
    assert "ended training" not in why and f"all {planned} planned steps ran" in why


def test_nothing_dropped_prints_no_minus_zero():
    assert signed_pts(-0.004) == "0 pts" and signed_pts(0.004) == "0 pts" and signed_pts(-0.06) == "-6 pts"
    assert headline({"forgetting": {"knowledge": 0.001, "format": -0.02}}) is None
    assert headline({"forgetting": {"knowledge": 0.2}}) == ("knowledge", 0.2)


def test_preset_cards_are_written_from_their_values():
    for preset in PRESETS.values():
        values = " · ".join(preset_values(preset))
        assert f"lr {preset.scenario().lr:g}" in values, preset.name
    fix = PRESETS["fix-it"]
    assert f"learning rate {fix.scenario().lr:g}" in fix.explanation and "low for LoRA" not in fix.explanation


def test_a_run_not_in_float32_says_so():
    c = config("break-it")
    plain = read_run(config=c, summary=summary({"knowledge": 0.3}), base={})
    assert not any("float32" in line for line in plain["why"])
    bf16 = read_run(config=c, summary={**summary({"knowledge": 0.3}), "precision": "bfloat16 autocast"}, base={})
    assert bf16["why"][-1].startswith("It computed under bfloat16 autocast, not float32")
