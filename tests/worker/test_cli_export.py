"""`forgetlab export`: files of a run, several runs or a sweep from the lab's database, without torch."""

import csv
import json
import os
import subprocess
import sys

import pytest

from forgetlab.core.cli import main
from forgetlab.core.grid import expand
from forgetlab.core.settings import Settings
from forgetlab.core.store import sweeps
from forgetlab.core.store.db import migrate, session_factory
from tests.app.conftest import finish

SCRIPT = """
import sys
from forgetlab.core.cli import main
code = main(sys.argv[1:])
print("TORCH" if "torch" in sys.modules else "no torch")
sys.exit(code)
"""


@pytest.fixture
def lab(tmp_path):
    """A data directory holding a finished sweep of two runs (ids 1 and 2, sweep 1)."""
    settings = Settings(data_dir=tmp_path / "lab", database_url=None, redis_url=None)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    spec = {"base": {"task_examples": 50}, "grid": {"seed": [0, 1]}}
    with sessions() as session:
        sweeps.create_sweep(session, spec=spec, scenarios=expand(spec), queue="cpu", preset_of=lambda s: None)
    for run_id in (1, 2):
        finish(sessions, run_id, drop=0.1 * run_id)
    return tmp_path / "lab"


def export(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run([sys.executable, "-c", SCRIPT, "export", *args], capture_output=True, text=True, env=env)


def test_export_a_run_and_a_sweep_as_files(lab, tmp_path):
    out = export("2", "--data-dir", str(lab), "--out", str(tmp_path / "a"), "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [str(tmp_path / "a" / "forgetlab-run-2-metrics.csv"),
                                  str(tmp_path / "a" / "forgetlab-run-2-summary.csv"), "no torch"]
    with open(tmp_path / "a" / "forgetlab-run-2-metrics.csv") as f:
        assert [row["step"] for row in csv.DictReader(f)] == ["0", "5", "10"]
    out = export("sweep:1", "--data-dir", str(lab), "--out", str(tmp_path / "b"))
    assert out.returncode == 0, out.stderr
    assert sorted(os.listdir(tmp_path / "b")) == sorted(f"forgetlab-sweep-1-{t}.{f}" for f in ("csv", "json")
                                                        for t in ("metrics", "summary"))
    doc = json.loads((tmp_path / "b" / "forgetlab-sweep-1-summary.json").read_text())
    assert [r["config"]["seed"] for r in doc["runs"]] == [0, 1] and doc["runs"][1]["mean_drop"] == pytest.approx(0.2)


@pytest.mark.parametrize("target, words", [("7", "no run 7"), ("sweep:4", "no sweep 4"), ("sweep:x", "sweep:ID"),
                                           ("twelve", "give a run id")])
def test_bad_targets_end_with_one_line_and_exit_2(lab, tmp_path, capsys, target, words):
    assert main(["export", target, "--data-dir", str(lab), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_a_missing_lab_is_named(tmp_path, capsys):
    assert main(["export", "1", "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "no lab database at" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()  # looking did not create an empty lab
