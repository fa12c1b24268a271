"""The mitigation registry: every declared mitigation has hooks, owns its schema fields, and words itself."""

from forgetlab.core.mitigations import MITIGATIONS, describe
from forgetlab.core.scenario import Scenario, field_help, parse
from forgetlab.worker.engine.mitigations import BUILDERS


def test_every_declaration_has_hooks_and_every_hook_a_declaration():
    assert set(BUILDERS) == set(MITIGATIONS)


def test_each_mitigation_owns_its_fields_in_the_schema():
    seen = set()
    for mitigation in MITIGATIONS.values():
        for name in mitigation.fields:
            assert name in Scenario.model_fields and name not in seen, name
            assert field_help(name)["description"].endswith(".")
            assert Scenario.model_fields[name].json_schema_extra["group"] == "mitigations"
            seen.add(name)


def test_off_by_default_and_worded_when_on():
    assert describe(parse({}).model_dump()) == []
    config = parse({"mix_ratio": 0.2, "ewc_lambda": 10, "early_stopping": True}).model_dump()
    assert describe(config) == ["20% general data in every batch",
                                "a penalty on moving the weights general skills rely on (EWC 10)", "early stopping"]


def test_builders_return_nothing_when_off(base):
    import copy

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.mitigations import Context, build
    from forgetlab.worker.engine.weights import snapshot

    model = copy.deepcopy(base[0])
    ctx = Context(model, base[1], snapshot(model), 32, seed=0, tier=get_tier("synthetic"))
    assert build(parse({}), ctx) == []
    names = [m.name for m in build(parse({"mix_ratio": 0.2, "kl_weight": 1.0, "l2sp_weight": 1.0}), ctx)]
    assert names == ["mix", "l2sp", "kl"]  # registry order: rows stacked, penalties summed, in this order
