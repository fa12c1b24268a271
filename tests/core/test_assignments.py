"""Assignment templates: locked and hidden fields and narrowed ranges are refused server-side, naming the field."""

import pytest

from forgetlab.core.assignments import (
    apply,
    describe,
    form_rules,
    make_template,
    parse_ranges,
    parse_settings,
)
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import ScenarioError

BREAK_IT = PRESETS["break-it"].overrides


def template():
    return make_template(base={**BREAK_IT, "epochs": 1, "lora_targets": ["q_proj", "v_proj"]}, locked=["lr"], hidden=["seed", "eval_every"],
                         ranges={"epochs": {"min": 1, "max": 3}, "method": {"choices": ["full", "lora"]},
                                 "lora_targets": {"choices": ["q_proj", "v_proj"]}})


def refused(student: dict) -> dict[str, str]:
    with pytest.raises(ScenarioError) as e:
        apply(template(), student)
    return e.value.errors


def test_open_fields_change_and_locked_ones_keep_their_value():
    scenario = apply(template(), {"epochs": "2", "method": "lora", "mix_ratio": 0.1, "lr": str(BREAK_IT["lr"])})
    assert (scenario.epochs, scenario.method, scenario.mix_ratio, scenario.lr) == (2, "lora", 0.1, BREAK_IT["lr"])
    assert scenario.seed == 0 and scenario.task == "support-narrow"  # hidden and unset fields: the base's


def test_a_changed_locked_field_is_refused_naming_it():
    assert refused({"lr": 0.01}) == {"lr": f"locked by the assignment at {BREAK_IT['lr']:g}: students cannot change it"}
    assert refused({"lr": "0.0002", "epochs": 2}) == {
        "lr": f"locked by the assignment at {BREAK_IT['lr']:g}: students cannot change it"}


def test_a_hidden_field_is_refused_without_showing_its_value():
    assert refused({"seed": 7}) == {"seed": "hidden by the assignment: students cannot change it"}


def test_a_hidden_field_is_refused_the_same_whatever_its_value():
    """Sending the right value of a hidden field must not be told apart from a wrong one (an oracle)."""
    assert refused({"seed": 0}) == refused({"seed": 7}) == refused({"seed": "0"}) == {
        "seed": "hidden by the assignment: students cannot change it"}


def test_the_tier_is_locked_unless_the_instructor_opens_it():
    assert refused({"tier": "smollm2"})["tier"].startswith("locked by the assignment at synthetic")
    assert apply(template(), {"tier": "synthetic"}).tier == "synthetic"  # its own value is fine
    opened = make_template(base=BREAK_IT, ranges={"tier": {"choices": ["synthetic", "smollm2"]}})
    assert opened.mode("tier") == "open" and "tier" not in opened.shown_locked()
    assert make_template(base=BREAK_IT).shown_locked() == ["tier"]


@pytest.mark.parametrize("name", ["task", "tier"])
def test_what_every_run_page_names_cannot_be_hidden(name):
    with pytest.raises(ScenarioError) as e:
        make_template(base=BREAK_IT, hidden=[name])
    assert "lock it instead" in e.value.errors["hidden"]


def test_values_outside_a_narrowed_range_are_refused():
    assert refused({"epochs": 5}) == {"epochs": "5 is outside what this assignment allows 1 to 3"}
    assert "outside" in refused({"method": "lora", "lora_targets": ["q_proj", "k_proj"]})["lora_targets"]
    # and the schema's own checks still apply, each field named once
    errors = refused({"epochs": 0, "batch_size": 1000, "bogus": 1})
    assert set(errors) == {"epochs", "batch_size", "bogus"} and errors["bogus"] == "unknown field"


@pytest.mark.parametrize("kwargs, field, words", [
    ({"locked": ["lrr"]}, "locked", "not a scenario field: lrr"),
    ({"locked": ["lr"], "hidden": ["lr"]}, "hidden", "either locked or hidden"),
    ({"ranges": {"epochs": {"min": 0, "max": 3}}}, "ranges", "within the field's own range, 1 to 20"),
    ({"ranges": {"epochs": {"min": 3, "max": 1}}}, "ranges", "min 3 is above max 1"),
    ({"ranges": {"epochs": {"min": 2, "max": 3}}}, "ranges", "starting value 5 is outside it"),
    ({"ranges": {"method": {"choices": ["full", "qlora"]}}}, "ranges", "qlora not among full, lora"),
    ({"ranges": {"method": {"min": 1, "max": 2}}}, "ranges", "is a choice"),
    ({"ranges": {"lr": {"choices": ["1"]}}}, "ranges", "is a number"),
    ({"locked": ["lr"], "ranges": {"lr": {"min": 1e-4, "max": 1e-2}}}, "ranges", "needs no range"),
])
def test_bad_templates_name_the_part(kwargs, field, words):
    with pytest.raises(ScenarioError) as e:
        make_template(base=BREAK_IT, **kwargs)
    assert words in e.value.errors[field]


def test_a_bad_base_names_the_setting():
    with pytest.raises(ScenarioError) as e:
        make_template(base={**BREAK_IT, "epochs": 99})
    assert list(e.value.errors) == ["settings: epochs"]


def test_text_forms_of_settings_and_ranges():
    assert parse_settings("lr=1e-3\n# a comment\nwise_ft = true\n") == {"lr": "1e-3", "wise_ft": True}
    assert parse_ranges("epochs=1..3\nmethod = full, lora") == {
        "epochs": {"min": 1.0, "max": 3.0}, "method": {"choices": ["full", "lora"]}}
    for bad, words in (("epochs", "write field=min..max"), ("epochs=a..b", "is not number..number")):
        with pytest.raises(ScenarioError) as e:
            parse_ranges(bad)
        assert words in e.value.errors["ranges"]
    with pytest.raises(ScenarioError) as e:
        parse_settings("nope=1")
    assert e.value.errors == {"settings": "line 1: nope: unknown field"}


def test_the_form_sees_modes_and_narrowed_limits():
    rules = form_rules(template())
    assert rules["lr"]["mode"] == "locked" and rules["seed"]["mode"] == "hidden"
    assert rules["version"]["mode"] == "hidden" and rules["mix_ratio"] == {"mode": "open"}
    assert rules["epochs"] == {"mode": "open", "min": 1.0, "max": 3.0, "allowed": "this assignment allows 1 to 3"}
    assert describe(template()) == ["tier is locked at synthetic", f"lr is locked at {BREAK_IT['lr']:g}",
                                    "epochs: this assignment allows 1 to 3",
                                    "method: this assignment allows: full, lora",
                                    "lora_targets: this assignment allows: q_proj, v_proj"]


def test_the_starter_lesson_is_built_from_the_presets_and_valid():
    from forgetlab.core.lessons import STARTER, check_blueprint

    check_blueprint(STARTER)  # every template, goal, score and threshold parses
    assert {step.preset for step in STARTER.steps} <= set(PRESETS)
    assert STARTER.steps[0].template().base["lr"] == PRESETS["break-it"].scenario().lr
