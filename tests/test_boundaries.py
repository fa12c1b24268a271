"""Import boundaries: the engine has no web or queue code; the web app has no torch."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_imports_neither_fastapi_nor_celery():
    for path in (ROOT / "worker" / "engine").rglob("*.py"):
        bad = _imports(path) & {"fastapi", "starlette", "celery", "app", "uvicorn", "redis", "sqlalchemy"}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_engine_runs_without_fastapi_or_celery_loaded():
    loaded = _loaded_after("from worker.engine import train, evaluate, world")
    assert "torch" in loaded
    assert not loaded & {"fastapi", "celery", "starlette"}


def test_torch_free_engine_modules_stay_torch_free():
    # The web app reads these; importing them must not drag torch in.
    loaded = _loaded_after("import worker.engine.scenario, worker.engine.presets, worker.engine.world, "
                           "worker.engine.sweep, worker.engine.compare")
    assert not loaded & {"torch", "transformers", "peft"}
