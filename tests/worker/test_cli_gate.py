"""`forgetlab run --save` and `forgetlab gate`: a saved break-it model fails the gate, the shipped base
passes it, a LoRA adapter gates too, bad input exits 2; and one real SmolLM2 (2 layers) gate.

The break-it run goes through the real console (a subprocess); most gates run `core.cli.main` in
this process, which is the same code without a second torch start-up.
"""

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from forgetlab.core.cli import main
from forgetlab.core.tiers.synthetic import BASE_DIR, world
from tests.worker.test_cli import forgetlab

PROBES = {c: sum(p.capability == c for p in world.probe_suite().probes) for c in world.CAPABILITIES}  # 64; safety 48

CAPABILITIES = ["instruction", "knowledge", "reasoning", "format", "safety"]


def gate(capsys, *args: str) -> tuple[int, str, str]:
    """`forgetlab gate ARGS` in this process: (exit code, stdout, stderr)."""
    try:
        code = main(["gate", *map(str, args)])
    except SystemExit as e:  # exit 1: a capability fails
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def break_it(tmp_path_factory):
    """A break-it run saved with --save, and its event log: (model dir, summary, last metrics event)."""
    root = tmp_path_factory.mktemp("break-it")
    out = forgetlab("run", "--preset", "break-it", "--set", "epochs=1", "--set", "task_examples=200",
                    "--save", str(root / "model"), "--json", str(root / "run.json"))
    assert out.returncode == 0, out.stderr
    assert "saved to" in out.stdout and "forgetlab gate --base synthetic" in out.stdout
    log = json.loads((root / "run.json").read_text())
    return root / "model", log["summary"], [e for e in log["events"] if e["type"] == "metrics"][-1]


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory):
    """A LoRA run (a learning rate high enough to forget), saved as the CLI's --save does."""
    from forgetlab.core.presets import PRESETS
    from forgetlab.core.scenario import Scenario, parse
    from forgetlab.core.tiers import get_tier
    from forgetlab.worker.engine.artifacts import save_run
    from forgetlab.worker.engine.train import fine_tune

    scenario = parse({**Scenario().model_dump(), **PRESETS["lora"].overrides, "epochs": 1, "task_examples": 200,
                      "lr": 0.01})
    summary, model, _ = fine_tune(scenario)
    out = tmp_path_factory.mktemp("lora") / "adapter"
    save_run(model, scenario, get_tier("synthetic"), out)
    return out, summary


@pytest.fixture(scope="module")
def break_it_gate(break_it, tmp_path_factory):
    """`forgetlab gate --base synthetic --candidate <the break-it model> --json OUT` on the real console."""
    report = tmp_path_factory.mktemp("gate") / "r.json"
    out = forgetlab("gate", "--base", "synthetic", "--candidate", str(break_it[0]), "--json", str(report))
    return out, json.loads(report.read_text()) if report.exists() else None


def test_a_saved_break_it_model_fails_the_gate_on_what_it_forgot(break_it, break_it_gate):
    model_dir, summary, last = break_it
    manifest = json.loads((model_dir / "forgetlab-artifact.json").read_text())
    assert manifest["kind"] == "full" and manifest["base"]["tier"] == "synthetic"
    assert manifest["scenario"]["epochs"] == 1 and len(manifest["scenario_hash"]) == 16
    assert (model_dir / "model.safetensors").is_file() and not (model_dir / "adapter_config.json").exists()

    out, report = break_it_gate
    assert out.returncode == 1, out.stderr
    assert report["schema"] == "forgetlab.gate/1" and report["tier"] == "synthetic"
    assert report["scoring"] == "exact-match" and report["candidate"]["kind"] == "full"
    assert report["candidate"]["artifact"]["scenario_hash"] == manifest["scenario_hash"]
    assert report["candidate"]["same_base"] is True
    assert list(report["capabilities"]) == CAPABILITIES and not report["passed"]
    caps = report["capabilities"]
    # Every probe, so the gate's numbers are the run's own final (and baseline) measurements.
    for name, c in caps.items():
        assert c["items"] == PROBES[name]
        assert c["base"]["accuracy"] == pytest.approx(summary["baseline"][name])
        assert c["candidate"]["accuracy"] == pytest.approx(summary["final"][name])
        assert c["candidate"]["nll"] == pytest.approx(last["capabilities"][name]["nll"], rel=1e-4, abs=1e-6)
        assert c["verdict"] == ("fails" if c["drop"] > 0.05 + 1e-9 else "passes")
        lo, hi = c["delta"]["accuracy_interval"]
        assert lo <= c["delta"]["accuracy"] <= hi
        assert len(c["regressed"]) - c["fixed"] == round(c["drop"] * c["items"])
    assert report["failed"] == [n for n, c in caps.items() if c["verdict"] == "fails"]
    assert "format" in report["failed"] and caps["format"]["significant"]  # break-it's clearest loss
    lost = caps["format"]["regressed"][0]
    assert lost["prompt"] and lost["base_output"] == lost["expected"] != lost["output"]
    assert "FAILS" in out.stdout and "FAILED (" in out.stdout and "format lost:" in out.stdout


def test_junit_report_and_the_nll_rule_on_a_saved_break_it_model(break_it, break_it_gate, capsys, tmp_path):
    """--junit writes what a CI server shows (a case per capability, failures as the gate judged them), and
    --max-nll-rise fails a capability whose answers' NLL rose past the threshold even where accuracy is allowed
    to fall (--max-drop 1: no accuracy drop fails, so every failure here is the NLL rule's)."""
    rises = {n: c["delta"]["nll"] for n, c in break_it_gate[1]["capabilities"].items()}
    name, rise = max(rises.items(), key=lambda kv: kv[1])
    assert rise > 0.05  # break-it moves answer NLL
    threshold = f"{rise / 2:.3f}"
    code, out, err = gate(capsys, "--base", "synthetic", "--candidate", break_it[0], "--max-drop", "1",
                          "--max-nll-rise", threshold, "--junit", tmp_path / "gate.xml", "--json", tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 1, err
    assert report["max_nll_rise"] == float(threshold)
    assert report["failed"] == [n for n, r in rises.items() if r > float(threshold)]
    assert f"NLL rise {rise:+.3f} > {threshold}" in report["capabilities"][name]["reasons"]
    assert f"max NLL rise {threshold}" in out and "JUnit report written to" in out
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == CAPABILITIES and suite.get("failures") == str(len(report["failed"]))
    assert [n for n, c in cases.items() if c.find("failure") is not None] == report["failed"]
    assert cases[name].find("failure").get("message") == f"{name} fails: {'; '.join(report['capabilities'][name]['reasons'])}"
    assert "lost: " in cases["format"].find("failure").text  # the probes it lost, by prompt

    code, _, err = gate(capsys, "--base", "synthetic", "--candidate", BASE_DIR, "--max-nll-rise", "0",
                        "--junit", tmp_path / "base.xml")
    suite = ET.parse(tmp_path / "base.xml").getroot().find("testsuite")
    assert code == 0 and suite.get("failures") == "0" and len(suite.findall("testcase/system-out")) == 5, err


def test_the_shipped_base_passes_with_zero_deltas(capsys, tmp_path):
    code, out, err = gate(capsys, "--base", "synthetic", "--candidate", BASE_DIR, "--json", tmp_path / "r.json")
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["passed"] and report["failed"] == []
    for c in report["capabilities"].values():
        assert c["delta"] == {"accuracy": 0.0, "accuracy_interval": [0.0, 0.0], "nll": 0.0, "nll_interval": [0.0, 0.0]}
    assert "PASSED" in out


def test_a_subset_of_capabilities_gates_with_the_same_numbers(break_it, break_it_gate, capsys, tmp_path):
    code, _, err = gate(capsys, "--base", BASE_DIR, "--candidate", break_it[0], "--suite", "format, knowledge",
                        "--json", tmp_path / "sub.json")
    sub, full = json.loads((tmp_path / "sub.json").read_text()), break_it_gate[1]
    assert list(sub["capabilities"]) == ["knowledge", "format"]  # the tier's order
    assert sub["candidate"]["same_base"] is True  # the base as a directory: the same weights
    for name in sub["capabilities"]:
        assert sub["capabilities"][name] == full["capabilities"][name]
    assert code == (1 if sub["failed"] else 0), err


def test_a_lora_adapter_gates_merged_into_its_base(lora_run, capsys, tmp_path):
    adapter, summary = lora_run
    assert (adapter / "adapter_config.json").is_file() and not (adapter / "model.safetensors").exists()
    assert sum(f.stat().st_size for f in adapter.iterdir()) < 200_000  # the adapter only, not the model
    code, out, err = gate(capsys, "--base", "synthetic", "--candidate", adapter, "--json", tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["candidate"]["kind"] == "adapter" and report["candidate"]["artifact"]["kind"] == "adapter"
    for name, c in report["capabilities"].items():  # the merged model is the model the run measured
        assert c["candidate"]["accuracy"] == pytest.approx(summary.final[name])
    assert report["failed"] and code == 1, err
    assert "(adapter)" in out


def test_an_adapter_is_refused_on_another_base(break_it, lora_run, capsys):
    code, _, err = gate(capsys, "--base", break_it[0], "--candidate", lora_run[0])
    assert code == 2 and "trained on another base" in err


def test_run_save_refuses_a_directory_that_holds_something_else_before_training(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    out = forgetlab("run", "--set", "epochs=1", "--save", str(tmp_path / "mine"))
    assert out.returncode == 2 and "--save" in out.stderr and "holds no saved run" in out.stderr
    assert "Traceback" not in out.stderr and (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_bad_input_exits_2_on_one_line(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "config-only").mkdir()
    (tmp_path / "config-only" / "config.json").write_text(json.dumps({"model_type": "bert", "vocab_size": 10}))
    cases = [
        (["--base", "synthetic", "--candidate", tmp_path / "missing"], "no model at"),
        (["--base", "synthetic", "--candidate", tmp_path / "empty"], "not a model directory"),
        (["--base", "synthetic", "--candidate", tmp_path / "config-only"], "not a causal language model"),
        (["--base", "nonsense", "--candidate", BASE_DIR], "neither a tier"),
        (["--base", BASE_DIR, "--tier", "nonsense", "--candidate", BASE_DIR], "unknown tier"),
        (["--base", "synthetic", "--tier", "smollm2", "--candidate", BASE_DIR], "contradicts"),
        (["--base", "synthetic", "--candidate", BASE_DIR, "--suite", "knowledge,telepathy"], "unknown capability"),
        (["--base", "synthetic", "--candidate", BASE_DIR, "--max-drop", "2"], "--max-drop"),
        (["--base", "synthetic", "--candidate", BASE_DIR, "--json", tmp_path / "no" / "r.json"], "does not exist"),
        (["--base", "synthetic", "--candidate", BASE_DIR, "--junit", tmp_path / "no" / "r.xml"], "--junit"),
        (["--base", "synthetic", "--candidate", BASE_DIR, "--max-nll-rise", "-1"], "--max-nll-rise"),
    ]
    for args, words in cases:
        code, out, err = gate(capsys, *args)
        assert code == 2, (args, out)
        assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)


# SmolLM2, truncated to 2 layers: a real chat model, its judged suites and peft-free full loading.

@pytest.fixture(scope="module")
def smollm2_2_layers(tmp_path_factory):
    from forgetlab.core.tiers.smollm2.weights import ModelUnavailable
    from forgetlab.worker.engine import gguf_base

    try:
        converted = gguf_base.ensure_converted(tmp_path_factory.mktemp("gate-data"))
    except ModelUnavailable as error:
        missing = str(error)
    else:
        return gguf_base.truncate(converted, tmp_path_factory.mktemp("gate-trunc") / "smollm2-2l", 2)
    if os.environ.get("FORGETLAB_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{missing} (FORGETLAB_REQUIRE_SERVICES=1: the model is required)", pytrace=False)
    pytest.skip(missing)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh data dir: a judged base's items are cached there (not in ./data)."""
    from forgetlab.core.settings import get_settings

    monkeypatch.setenv("FORGETLAB_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_a_truncated_smollm2_gated_against_itself_passes_with_zero_deltas(smollm2_2_layers, data_dir, capsys,
                                                                          tmp_path):
    # One capability keeps it short: knowledge is scored by likelihood, so nothing is generated.
    code, _, err = gate(capsys, "--base", smollm2_2_layers, "--tier", "smollm2", "--candidate", smollm2_2_layers,
                        "--suite", "knowledge", "--json", tmp_path / "r.json")
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["scoring"] == "judged" and report["tier"] == "smollm2"
    assert list(report["capabilities"]) == ["knowledge"]
    c = report["capabilities"]["knowledge"]
    assert c["items"] == 274 and c["base"]["nll"] > 0
    assert c["delta"] == {"accuracy": 0.0, "accuracy_interval": [0.0, 0.0], "nll": 0.0, "nll_interval": [0.0, 0.0]}
    assert c["regressed"] == [] and c["fixed"] == 0 and c["verdict"] == "passes"
    assert report["base"]["cached"] is False and list((data_dir / "cache").glob("gate-base-smollm2-*.json"))
    assert report["base"]["weights_sha256"] == json.loads(
        (Path(smollm2_2_layers) / "forgetlab-model.json").read_text())["safetensors_sha256"]
