"""SmolLM2's preset cards quote the lab's own CPU runs, and only those: core/smollm2_measured.json must be what
`bench.smollm2_mitigations --store` derives from docs/results/smollm2-mitigations-cpu.jsonl, and a card quotes
nothing measured by another engine."""

import json
from pathlib import Path

from forgetlab.core import preset_outcomes
from forgetlab.core.preset_outcomes import SMOLLM2_MEASURED_PATH, load_smollm2_measured, smollm2_outcome, smollm2_words
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import ENGINE_VERSION

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results" / "smollm2-mitigations-cpu.jsonl"


def test_the_stored_runs_are_the_results_files_runs():
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines()]
    stored = json.loads(SMOLLM2_MEASURED_PATH.read_text())
    want = {r["preset"]: {"seed": r["seed"], **smollm2_outcome(r["summary"])} for r in rows
            if r["seed"] == 0 and r["engine_version"] == stored["engine_version"]}
    assert stored["presets"] == want and want
    assert set(want) <= {name for name in PRESETS if name.startswith("smollm2-")}


def test_each_measured_preset_card_quotes_its_run_and_no_other_card_does():
    measured = load_smollm2_measured(ENGINE_VERSION)
    assert "smollm2-break-it" in measured
    for name, preset in PRESETS.items():
        if name in measured:
            assert preset.explanation.endswith(smollm2_words(measured[name]))
        else:
            assert "Measured by the lab on a CPU" not in preset.explanation


def test_the_break_it_card_says_what_its_run_measured():
    card = PRESETS["smollm2-break-it"].explanation
    run = load_smollm2_measured(ENGINE_VERSION)["smollm2-break-it"]
    assert f"task {run['task']:.2f}" in card and f"worst drop {run['worst_drop']:.2f}" in card
    assert "general answers in the task's template 1.00" in card  # it promises 'Dear customer,' openings


def test_runs_of_another_engine_are_not_quoted(tmp_path, monkeypatch):
    stale = tmp_path / "smollm2_measured.json"
    stale.write_text(json.dumps({"engine_version": ENGINE_VERSION - 1, "presets": {"smollm2-ewc": {"task": 0.5}}}))
    monkeypatch.setattr(preset_outcomes, "SMOLLM2_MEASURED_PATH", stale)
    assert load_smollm2_measured(ENGINE_VERSION) == {}
    assert smollm2_words(None) == ""


def test_the_words_name_the_noise_of_one_item():
    run = {"seed": 0, "items": 16, "task": 0.1875, "mean_drop": -0.025, "worst_drop": 0.0625, "nll_rise_min": 0.001,
           "nll_rise_max": 0.21, "format_rigidity": 0.0}
    assert smollm2_words(run) == ("Measured by the lab on a CPU (one run, seed 0, 16 items per capability, so one item "
                                  "is 0.06 of accuracy): task 0.19, mean drop -0.03, worst drop 0.06, the reference "
                                  "answers' NLL changed by +0.00 to +0.21 nats.")
