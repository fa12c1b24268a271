"""`forgetlab run`, `presets` and `claims` from the command line."""

import json

from tests.worker.test_cli import forgetlab
from forgetlab.worker import claims_report
from forgetlab.worker.engine.claims import run_claims


def test_run_writes_events_and_summary(tmp_path):
    out = forgetlab("run", "--preset", "break-it", "--set", "epochs=1", "--set", "task_examples=128",
                    "--json", str(tmp_path / "run.json"))
    assert out.returncode == 0, out.stderr
    assert "instruction" in out.stdout and "base" in out.stdout
    log = json.loads((tmp_path / "run.json").read_text())
    summary = log["summary"]
    for key in ("baseline", "final", "task_accuracy", "forgetting", "seconds", "steps"):
        assert key in summary
    assert log["events"][0]["type"] == "started" and log["events"][-1]["type"] == "finished"
    assert log["scenario"]["epochs"] == 1


def test_run_reads_a_yaml_config(tmp_path):
    (tmp_path / "s.yaml").write_text("task: shift\nepochs: 1\ntask_examples: 64\n")
    out = forgetlab("run", str(tmp_path / "s.yaml"), "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "r.json").read_text())["scenario"]["task"] == "shift"


def test_invalid_configs_exit_nonzero_naming_the_field(tmp_path):
    (tmp_path / "bad.yaml").write_text("- not\n- a mapping\n")
    cases = [
        (["run", "--set", "lr=5"], "lr"),
        (["run", "--set", "mix_ratio=0.95"], "0 to 0.9"),
        (["run", "--set", "colour=red"], "colour: unknown field"),
        (["run", "--set", "freeze_layers=3"], "freeze_layers: the synthetic tier's base has 3 transformer blocks"),
        (["run", "--preset", "nope"], "unknown preset"),
        (["run", "--set", "epochs"], "field=value"),
        (["run", str(tmp_path / "bad.yaml")], "mapping"),
        (["run", str(tmp_path / "missing.yaml")], "cannot read"),
        (["claims", "--only", "2,x"], "--only: claim numbers"),
        (["claims", "--only", "99"], "no claim 99"),
    ]
    for args, words in cases:
        out = forgetlab(*args)
        assert out.returncode == 2, args
        assert words in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_presets_are_listed_with_explanations():
    out = forgetlab("presets")
    assert out.returncode == 0
    assert "break-it" in out.stdout and "fix-it" in out.stdout and "safety-regression" in out.stdout


def test_short_claims_run_on_one_seed():
    # Two claims keep it short: 7 reads learning runs (matched learning), 11 a run's WiSE-FT curve.
    rows = run_claims(seeds=1, only=[7, 11])
    assert [r["claim"] for r in rows] == [7, 11]
    for row in rows:
        # One unit is no evidence: the fast default reports effects, never a verdict either way.
        assert row["verdict"] in ("inconclusive", "not measurable"), row
        assert row["units"][0]["notes"] and len(row["tests"]) == len(row["units"][0]["effects"])
        for test in row["tests"]:
            assert test["units"] == 1 and test["verdict"] in ("inconclusive", "not measurable")
            if test["mean"] is not None:
                assert test["ci"][0] == test["ci"][1] == test["mean"]  # one value: a point interval
    # docs/claims.md's table is printed from the same rows: a line per test, the verdict on the claim's first.
    table = claims_report.markdown(rows).splitlines()
    assert table[0].startswith("| # | claim") and len(table) == 2 + sum(len(r["tests"]) for r in rows)
    assert table[2].startswith("| 7 | Narrow task data") and f"**{rows[0]['verdict']}**" in table[2]
    assert "base 0 seed 0" in claims_report.text(rows, 1, 1)


def test_run_trains_on_a_data_file(tmp_path):
    from forgetlab.core.tiers.synthetic import world

    pairs = dict(world.examples("shift", 60, 1))  # the synthetic base's own words
    (tmp_path / "mine.jsonl").write_text("\n".join(json.dumps({"prompt": p, "response": r}) for p, r in pairs.items()))
    out = forgetlab("run", "--data", str(tmp_path / "mine.jsonl"), "--set", "epochs=1", "--set", "task_examples=64",
                    "--json", str(tmp_path / "run.json"))
    assert out.returncode == 0, out.stderr
    task = json.loads((tmp_path / "run.json").read_text())["scenario"]["task"]
    assert task.startswith("data:") and f"task {task}" in out.stdout


def test_a_bad_data_file_lists_every_bad_line(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"prompt": "a"}\nnope\n')
    out = forgetlab("run", "--data", str(tmp_path / "bad.jsonl"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert f"{tmp_path / 'bad.jsonl'}: line 1: response: missing" in lines
    assert any(line.startswith(f"{tmp_path / 'bad.jsonl'}: line 2: json: not valid JSON") for line in lines)
    assert "is not a valid dataset: 3 problems" in lines[-1]
    (tmp_path / "good.jsonl").write_text("\n".join(json.dumps({"prompt": f"q {i}", "response": "a"}) for i in range(40)))
    out = forgetlab("run", "--data", str(tmp_path / "good.jsonl"), "--set", "task=shift")
    assert out.returncode == 2 and "--data sets the task" in out.stderr
    out = forgetlab("run", "--data", str(tmp_path / "missing.jsonl"))
    assert out.returncode == 2 and "cannot read" in out.stderr
