"""The mitigation registry: every declared mitigation has hooks, owns its schema fields, and words itself."""

import pkgutil

from forgetlab.core import mitigations as declarations
from forgetlab.core.mitigations import MITIGATIONS, describe
from forgetlab.core.scenario import Scenario, field_help, parse
from forgetlab.worker.engine import mitigations as hooks
from forgetlab.worker.engine.mitigations import BUILDERS


def modules(package) -> set[str]:
    return {m.name for m in pkgutil.iter_modules(package.__path__)} - {"base"}


def test_every_declaration_has_hooks_and_every_hook_a_declaration():
    """Both registries are found from their modules: the core declarations and the worker hooks name one set."""
    assert set(BUILDERS) == set(MITIGATIONS)
    assert modules(declarations) == set(MITIGATIONS) and modules(hooks) == set(BUILDERS)


# The order the pinned runs and the claims were recorded in; a new mitigation may join anywhere by its `order`.
RECORDED = ["mix", "replay", "safety_mix", "self_rehearsal", "ewc", "l2sp", "kl", "early_stopping"]


def test_the_registry_order_is_the_declared_order_the_results_depend_on():
    assert [m.order for m in MITIGATIONS.values()] == sorted(m.order for m in MITIGATIONS.values())
    assert [name for name in MITIGATIONS if name in RECORDED] == RECORDED


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
    assert describe(parse({"freeze_layers": 2}).model_dump()) == ["the token embeddings and the lowest 2 blocks frozen"]


def test_builders_return_nothing_when_off(base):
    import copy

    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.mitigations import Context, build
    from forgetlab.worker.engine.weights import snapshot

    model = copy.deepcopy(base[0])
    ctx = Context(model, base[1], snapshot(model), 32, seed=0, tier=get_tier("synthetic"), base_model=base[0])
    assert build(parse({}), ctx) == []
    names = [m.name for m in build(parse({"mix_ratio": 0.2, "kl_weight": 1.0, "l2sp_weight": 1.0,
                                          "freeze_layers": 1}), ctx)]
    assert names == ["mix", "l2sp", "kl", "freeze_layers"]  # registry order: rows stacked, penalties summed, in this order
