"""The web process never loads torch, transformers or peft, in either mode; it enqueues by task name."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"torch", "transformers", "peft"}

SCRIPT = """
import os, sys
os.environ.update({env!r})
from fastapi.testclient import TestClient
from app.main import create_app
from app.db import migrate
migrate()
with TestClient(create_app()) as c:
    assert c.get("/").status_code == 200
    assert c.get("/api/presets").status_code == 200
    assert c.post("/api/runs", json={{"task_examples": 50, "epochs": 1}}).status_code == 201
    assert c.get("/runs/1").status_code == 200
    assert c.post("/api/sweeps", json={{"base": {{"task_examples": 50}}, "grid": {{"seed": [0, 1]}}}}).status_code == 201
    assert c.get("/sweeps/1").status_code == 200
    assert c.get("/compare?sweep=1").status_code == 200
    assert c.get("/api/export/metrics.csv?sweep=1").status_code == 200
print(" ".join(sorted(sys.modules)))
"""


def _modules_after_serving(env: dict) -> set[str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(env=env)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return {m.split(".")[0] for m in out.stdout.split()}


def test_web_app_serves_pages_and_api_without_torch(tmp_path):
    loaded = _modules_after_serving({"FORGETLAB_DATA_DIR": str(tmp_path), "FORGETLAB_WORKERS": "0",
                                     "DATABASE_URL": "", "REDIS_URL": ""})  # embedded, whatever the shell says
    assert "fastapi" in loaded and not loaded & HEAVY


def test_app_package_never_imports_worker_runtime_code():
    """app/ may read the torch-free engine modules (schema, presets, world, sweep grids, comparisons) and
    nothing else of worker/."""
    allowed = {"worker.engine.scenario", "worker.engine.presets", "worker.engine.world", "worker.engine.sweep",
               "worker.engine.compare"}
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            for name in names:
                assert name.split(".")[0] not in HEAVY, f"{path} imports {name}"
                if name.startswith("worker"):
                    assert name in allowed, f"{path} imports {name}"
