"""A scenario survives the trip to a URL query and back, for every preset."""

from urllib.parse import parse_qsl

import pytest

from forgetlab.app.pages.forms import field_specs, parse_items, scenario_query
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, parse


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_round_trips_through_its_url(name):
    scenario = PRESETS[name].scenario()
    data, errors = parse_items(parse_qsl(scenario_query(scenario)))
    assert not errors
    assert parse(data).canonical_hash() == scenario.canonical_hash()


def test_defaults_make_an_empty_query():
    assert scenario_query(Scenario()) == ""


def test_unreadable_values_are_reported_per_field():
    data, errors = parse_items([("early_stopping", "maybe"), ("epochs", ""), ("nonsense", "1")])
    assert set(errors) == {"early_stopping", "epochs", "nonsense"}


def test_widgets_follow_the_schema():
    widgets = {s.name: s.widget for s in field_specs()}
    assert widgets["task"] == "select" and widgets["wise_ft"] == "checkbox"
    assert widgets["lora_targets"] == "multi" and widgets["lr"] == "number" and "version" not in widgets
