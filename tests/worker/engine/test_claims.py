"""How a claim is judged (docs/claims.md): intervals, the minimum effect, matched learning, "not measurable"
(worker/engine/claim_effects.py), and what the claims run (worker/engine/claims.py).
The run-level test of `forgetlab claims` is in tests/worker/test_cli_run.py."""

import pytest

from forgetlab.core.metrics import bootstrap_ci, spearman, wise_pick
from forgetlab.worker.engine.claim_effects import LEARNED, MIN_EFFECT, at_end, drop, matched, verdict
from forgetlab.worker.engine.claims import CLAIMS, SMOLLM2_CLAIMS, runs_needed, scenario_for


def run(points: list[tuple[float, float]], slots: int = 32) -> dict:
    """A run whose curve has (task accuracy, general accuracy) per checkpoint, every 10 steps."""
    return {"task_slots": slots, "curve": [
        {"step": 10 * i, "task": task, "caps": {"a": general, "b": general}, "nll": {"a": 1 - general, "b": 1 - general},
         "val_loss": 1 - task, "task_nll": 1 - task} for i, (task, general) in enumerate(points)]}


def test_verdicts_against_the_minimum_effect():
    assert verdict([0.10, 0.12, 0.09, 0.11, 0.10], "greater", MIN_EFFECT)["verdict"] == "holds"
    assert verdict([0.00, 0.01, -0.01, 0.005, 0.0], "greater", MIN_EFFECT)["verdict"] == "does not hold"
    assert verdict([0.1, -0.1, 0.2, -0.15, 0.05], "greater", MIN_EFFECT)["verdict"] == "inconclusive"
    # A positive effect that is real but smaller than the minimum is not "holds".
    assert verdict([0.01, 0.012, 0.011, 0.009, 0.01], "greater", MIN_EFFECT)["verdict"] == "does not hold"
    # Too few units: never a verdict either way.
    assert verdict([0.2, 0.2], "greater", MIN_EFFECT)["verdict"] == "inconclusive"
    # An arm that never learnt makes a unit unmeasurable; most units unmeasurable, the claim is too.
    assert verdict([None, None, None, 0.2, 0.2], "greater", MIN_EFFECT)["verdict"] == "not measurable"
    same = verdict([0.005, -0.004, 0.0, 0.002, -0.001], "equivalent", MIN_EFFECT)
    assert same["verdict"] == "holds" and same["measurable"] == 5
    assert verdict([0.2, 0.25, 0.22, 0.21, 0.3], "equivalent", MIN_EFFECT)["verdict"] == "does not hold"


def test_matched_learning_compares_where_both_first_learnt_and_never_credits_not_learning():
    fast = run([(0.0, 1.0), (0.5, 0.9), (0.9, 0.7), (1.0, 0.5)])
    slow = run([(0.0, 1.0), (0.2, 0.98), (0.5, 0.95), (0.85, 0.9)])
    effect, note = matched("slow", "fast")({"slow": slow, "fast": fast}, drop)
    assert effect == pytest.approx(0.3 - 0.1) and "step 20" in note and "step 30" in note
    never = run([(0.0, 1.0), (0.1, 1.0), (0.2, 1.0), (0.3, 1.0)])  # forgets nothing, learns nothing
    effect, note = matched("never", "fast")({"never": never, "fast": fast}, drop)
    assert effect is None and "never reached" in note and f"{LEARNED:.2f}" in note
    effect, _ = at_end("never", "fast")({"never": never, "fast": fast}, drop)
    assert effect is None


def test_statistics_helpers():
    lo, hi = bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert 1.0 < lo < 3.0 < hi < 5.0 and bootstrap_ci([1.0, 2.0, 3.0]) == bootstrap_ci([1.0, 2.0, 3.0])
    assert spearman([1, 2, 3, 4], [10, 20, 25, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    curve = [{"alpha": a / 10, "task": min(1.0, a / 5), "capabilities": {"x": 1 - a / 20}} for a in range(11)]
    pick = wise_pick(curve)
    assert pick["alpha"] == pytest.approx(0.5) and pick["task"] == 1.0 and pick["general"] == pytest.approx(0.75)


def test_claims_are_numbered_and_sized():
    assert [c.number for c in CLAIMS] == list(range(1, 14))
    assert [c.number for c in SMOLLM2_CLAIMS] == list(range(1, 10))
    assert all(c.tests for c in CLAIMS + SMOLLM2_CLAIMS)
    # Shared arms (break-it itself, lr 1e-4, LoRA) train once per unit.
    per_unit = runs_needed(1)
    assert per_unit < sum(len(c.scenarios) for c in CLAIMS)
    assert runs_needed(5, bases=3) == 15 * per_unit


@pytest.mark.parametrize("tier,claims", [("synthetic", CLAIMS), ("smollm2", SMOLLM2_CLAIMS)])
def test_every_claim_is_judged_from_its_runs(tier, claims):
    """Each claim's tests read the runs they need (fabricated curves here: learning and forgetting grow
    together) and give a row with a verdict; five units, all alike, make a point interval."""
    from forgetlab.worker.engine.claims import judge, plan_units, planned

    curve = [(0.1 * i, 1.0 - 0.03 * i) for i in range(11)]
    fake = run(curve)
    fake["summary"] = {"wise_ft": [{"alpha": a / 10, "task": a / 10, "capabilities": {"a": 1 - a / 40, "b": 1 - a / 40},
                                    "nll": {"a": a / 40, "b": a / 40}} for a in range(11)]}
    units = plan_units(5)
    runs = {key: fake for key in planned(claims, units, tier)}
    rows = []
    for claim in claims:
        row = judge(claim, units, runs, tier)
        assert row["verdict"] in ("holds", "does not hold", "inconclusive", "not measurable")
        assert len(row["tests"]) == len(claim.tests) and len(row["units"]) == 5
        for test in row["tests"]:
            if test["mean"] is not None:
                assert test["ci"][0] == pytest.approx(test["mean"]) == pytest.approx(test["ci"][1])
        rows.append(row)
    # Every claim's row reads in the report and docs/claims.md's table: a line per test.
    from forgetlab.worker import claims_report

    assert len(claims_report.markdown(rows).splitlines()) == 2 + sum(len(c.tests) for c in claims)
    assert all(f"{c.number}. {c.text}" in claims_report.text(rows, 5, 1) for c in claims)


def test_a_learning_run_is_the_arms_own_run_longer_and_ends_once_learnt():
    """Matched tests read learning runs: the arm's scenario with LEARN_EPOCHS, ended at the first point whose
    task accuracy reaches the level. Up to there its curve is the arm's own, bit for bit (real training)."""
    from forgetlab.worker.engine.claims import LEARN_EPOCHS, _run_one, claim_runs, scenario_for

    diverse = {"task": "support-diverse"}
    own = _run_one(scenario_for({**diverse, "epochs": 1}, 0).model_dump(mode="json"), None)  # 32 steps
    reached = next(p for p in own["curve"] if p["step"] > 0 and p["task"] > own["curve"][0]["task"])
    longer = _run_one(scenario_for({**diverse, "epochs": LEARN_EPOCHS}, 0).model_dump(mode="json"), None,
                      until=reached["task"])
    assert longer["summary"] is None and longer["curve"][-1]["step"] == reached["step"]
    assert longer["curve"] == own["curve"][:len(longer["curve"])]
    # A claim keeps an arm's learning run apart from its own run.
    claim = next(c for c in CLAIMS if c.number == 7)
    own_keys, learning = claim_runs(claim, 0, 0, "synthetic"), claim_runs(claim, 0, 0, "synthetic", learning=True)
    assert {k for k, _, _ in own_keys.values()}.isdisjoint(k for k, _, _ in learning.values())
    assert all(s.epochs == LEARN_EPOCHS and until == LEARNED for _, s, until in learning.values())


def test_the_freeze_claim_compares_the_freeze_preset_with_break_it():
    from forgetlab.core.presets import PRESETS

    claim = next(c for c in CLAIMS if c.number == 12)
    arms = {label: scenario_for(o, 0) for label, o in claim.scenarios.items()}
    assert arms["freeze"].freeze_layers == PRESETS["freeze"].scenario().freeze_layers == 1
    # The arms differ in the frozen blocks alone (and break-it's WiSE-FT curve, measured after training).
    assert arms["no freeze"].model_copy(update={"freeze_layers": 1, "wise_ft": False}) == arms["freeze"]
    assert [(t.kind, t.learning) for t in claim.tests] == [("greater", True)]  # forgets less at matched learning


def test_the_mix_curve_arms_differ_in_whole_rows_of_general_data_alone():
    """Each ratio of claim 13 is a whole number of rows at its batch size (1, 5, 20 of 100), so no arm rounds to
    another; "enough" is its two tests: 1% forgets less than none, and the same as 20%."""
    from forgetlab.worker.engine.mitigations.base import batch_rows

    claim = next(c for c in CLAIMS if c.number == 13)
    arms = {label: scenario_for(o, 0) for label, o in claim.scenarios.items()}
    assert [batch_rows(s, s.mix_ratio) for s in arms.values()] == [0, 1, 5, 20]
    assert all(s.batch_size * s.mix_ratio == batch_rows(s, s.mix_ratio) for s in arms.values())
    assert all(s.model_copy(update={"mix_ratio": 0.0}) == arms["0% mix"] for s in arms.values())
    assert [(t.kind, t.learning) for t in claim.tests] == [("greater", True), ("equivalent", True)]
    runs = {"0% mix": 0.5, "1% mix": 0.2, "20% mix": 0.18}  # drops where each first learnt
    fake = {label: {"task_slots": 100, "curve": [{"step": 0, "task": 0.0, "caps": {"a": 1.0}},
                                                 {"step": 20, "task": 0.9, "caps": {"a": 1.0 - d}}]}
            for label, d in runs.items()}
    assert [t.effect(fake, drop)[0] for t in claim.tests] == pytest.approx([0.3, 0.02])


def test_the_smollm2_table_is_what_its_stored_runs_judge_to(capsys):
    """docs/real-model.md's SmolLM2 claims table is today's rule applied to the stored runs, as
    `python -m bench.smollm2_claims --judge docs/results/smollm2-claims-h200.jsonl` prints it."""
    import re
    from pathlib import Path

    from bench.smollm2_claims import judge

    root = Path(__file__).resolve().parents[3]
    judge(str(root / "docs/results/smollm2-claims-h200.jsonl"))
    printed = dict(re.findall(r"^(\d+)\. .*: (HOLDS|DOES NOT HOLD|INCONCLUSIVE|NOT MEASURABLE)$", capsys.readouterr().out,
                              re.M))
    page = (root / "docs/real-model.md").read_text()
    section = page[page.index("## The claims on SmolLM2, five seeds"):page.index("What does not hold, and why")]
    table = dict(re.findall(r"^\| (\d) \| .*\| \*\*(holds|does not hold|inconclusive)\*\*", section, re.M))
    assert len(printed) == 9 and {n: v.lower() for n, v in printed.items()} == table
