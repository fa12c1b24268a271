"""The layers point one way: app -> core <- worker. Read from the import graph, and from what each
process really has in memory.

- core/ imports neither app/ nor worker/, and no torch, FastAPI or Celery.
- app/ imports core/ and never worker/ (nor torch): it sends runs by task name.
- worker/ imports core/ and never app/ (nor FastAPI): its processes carry no web stack.
- the engine (worker/engine/) imports no queue, web or database code: it runs from Python alone.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"torch", "transformers", "peft", "safetensors", "tokenizers"}
WEB = {"fastapi", "starlette", "uvicorn", "jinja2_fragments"}

# Which top-level names each layer may not import, anywhere in its files (inside functions too).
FORBIDDEN = {
    "core": {"app", "worker"} | HEAVY | WEB | {"celery"},
    "app": {"worker"} | HEAVY,
    "worker": {"app"} | WEB,
    "worker/engine": {"app", "celery", "redis", "sqlalchemy"} | WEB,
}


def layer_of(module: str) -> str:
    """The layer or package an import names: forgetlab.core.x -> core, torch.nn -> torch."""
    parts = module.split(".")
    return parts[1] if parts[0] == "forgetlab" and len(parts) > 1 else parts[0]


def imported_modules(path: Path) -> set[str]:
    """Every absolute module an import statement in the file names (relative imports stay in the package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_graph_tests_see_imports():
    """The checker itself: it must notice an import inside a function, or the layer tests prove nothing."""
    sample = ROOT / "worker" / "jobs.py"
    assert "forgetlab.worker.engine.train" in imported_modules(sample)


@pytest.mark.parametrize("layer", list(FORBIDDEN))
def test_no_arrow_points_the_wrong_way(layer):
    files = list((ROOT / layer).rglob("*.py"))
    assert files, layer
    for path in files:
        bad = {m for m in imported_modules(path) if layer_of(m) in FORBIDDEN[layer]}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_layers_are_imported_under_the_forgetlab_namespace_only():
    """`import core` from the repository root would load a second copy of every module beside
    forgetlab.core (two registries, two settings caches); the installed lab has no `core` at all."""
    files = [p for folder in ("forgetlab", "core", "app", "worker", "migrations", "tests", "bench", "tools", "docs")
             for p in (ROOT / folder).rglob("*.py")]
    for path in files:
        bare = {m for m in imported_modules(path) if m.split(".")[0] in {"core", "app", "worker"}}
        assert not bare, f"{path.relative_to(ROOT)} imports {sorted(bare)}: use forgetlab.<layer>"


def _loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert out.returncode == 0, out.stderr
    return {layer_of(m) for m in out.stdout.split()}


def test_worker_processes_load_no_web_stack():
    # The Celery app, the task, the embedded child's entry point, the job and the engine, all imported.
    loaded = _loaded_after("import forgetlab.worker.celery_app, forgetlab.worker.tasks, forgetlab.worker.embedded, "
                           "forgetlab.worker.jobs, forgetlab.worker.cli\nfrom forgetlab.worker.engine import train, evaluate")
    assert "torch" in loaded and "celery" in loaded
    assert not loaded & {"fastapi", "starlette", "app"}


def test_engine_runs_without_queue_web_or_database():
    loaded = _loaded_after("from forgetlab.worker.engine.train import train\nfrom forgetlab.core.scenario import Scenario\n"
                           "train(Scenario(task_examples=50, epochs=1))")
    assert not loaded & {"fastapi", "starlette", "celery", "sqlalchemy", "redis", "app"}


def test_core_is_torch_free_and_web_free():
    modules = ("scenario presets grid compare results live queue cli tiers mitigations store.runs store.sweeps "
               "store.db").split()
    loaded = _loaded_after("import " + ", ".join(f"forgetlab.core.{m}" for m in modules))
    assert not loaded & (HEAVY | WEB | {"app", "worker"})


WEB_SCRIPT = """
import os
os.environ.update({env!r})
from fastapi.testclient import TestClient
from forgetlab.app.main import create_app
from forgetlab.core.store.db import migrate
migrate()
with TestClient(create_app()) as c:
    assert c.get("/").status_code == 200
    assert c.get("/api/presets").status_code == 200
    assert c.get("/api/tiers").status_code == 200
    assert c.post("/api/runs", json={{"task_examples": 50, "epochs": 1}}).status_code == 201
    assert c.get("/runs/1").status_code == 200
    assert c.post("/api/sweeps", json={{"base": {{"task_examples": 50}}, "grid": {{"seed": [0, 1]}}}}).status_code == 201
    assert c.get("/sweeps/1").status_code == 200
    assert c.get("/compare?sweep=1").status_code == 200
    assert c.get("/api/export/metrics.csv?sweep=1").status_code == 200
"""


def test_web_process_serves_pages_and_api_without_torch(tmp_path):
    env = {"FORGETLAB_DATA_DIR": str(tmp_path), "FORGETLAB_WORKERS": "0", "DATABASE_URL": "", "REDIS_URL": ""}
    loaded = _loaded_after(WEB_SCRIPT.format(env=env))  # embedded, whatever the shell says
    assert "fastapi" in loaded and not loaded & (HEAVY | {"worker"})


def test_cli_serve_and_export_load_no_torch():
    loaded = _loaded_after("from forgetlab.core.cli import build_parser\nbuild_parser().parse_args(['serve'])")
    assert not loaded & HEAVY
