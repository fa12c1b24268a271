"""The layers point one way: app -> core <- worker. Read from the import graph, and from what each
process really has in memory.

- core/ imports neither app/ nor worker/, and no torch, FastAPI or Celery.
- app/ imports core/ and never worker/ (nor torch): it sends runs by task name.
- worker/ imports core/ and never app/ (nor FastAPI): its processes carry no web stack.
- the engine (worker/engine/) imports no queue, web or database code: it runs from Python alone.
- integrations/ (a Trainer callback and forgetlab.watch, inside someone's training process) imports core/ and
  worker/, never app/ nor a web or queue stack; `import forgetlab` alone loads none of it (nor torch).
- no import circle anywhere in app/, core/ or worker/; auth/ and api/ never reach pages/; and no module of
  app/ uses another module's private (underscore) name.
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
    "integrations": {"app"} | WEB | {"celery"},
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


# --- the module graph: forgetlab.* modules and the forgetlab.* modules each one imports ----------------------------
GRAPH_LAYERS = ("app", "core", "worker", "integrations")


def module_of(path: Path) -> str:
    """app/pages/run.py -> forgetlab.app.pages.run; a package's __init__.py is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(["forgetlab", *(parts[:-1] if parts[-1] == "__init__" else parts)])


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The known modules a file imports, anywhere in it (inside functions too), relative imports resolved:
    `from . import x` names the module x when there is one, else the package."""
    module, found = module_of(path), set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
            for alias in node.names:
                name = f"{target}.{alias.name}"
                found |= {name} if name in known else {target} & known
    return found - {module}


def module_graph() -> dict[str, set[str]]:
    files = {module_of(p): p for layer in GRAPH_LAYERS for p in (ROOT / layer).rglob("*.py")}
    return {module: imports_of(path, set(files)) for module, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other round a circle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_module_graph_sees_relative_and_late_imports():
    """The checker itself: relative imports resolve to modules, and an import inside a function counts."""
    graph = module_graph()
    assert "forgetlab.app.services.outbox" in graph["forgetlab.app.services.runs"]  # from . import outbox
    assert "forgetlab.app.pages.render" in graph["forgetlab.app.pages.run"]  # from .render import page
    assert "forgetlab.core.tiers.synthetic" in graph["forgetlab.core.tiers"]  # inside all_tiers()
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_in_app_core_or_worker():
    assert cycles(module_graph()) == []


@pytest.mark.parametrize("package", ["forgetlab.app.auth", "forgetlab.app.api"])
def test_auth_and_api_never_reach_the_pages(package):
    """Not even through another module: the API and the accounts layer work without any page or template."""
    graph = module_graph()
    for start in (m for m in graph if m == package or m.startswith(package + ".")):
        seen, todo = set(), [start]
        while todo:
            for other in graph[todo.pop()] - seen:
                seen.add(other)
                todo.append(other)
        pages = sorted(m for m in seen if m.startswith("forgetlab.app.pages"))
        assert not pages, f"{start} imports {pages[0]}"


def private_uses(path: Path, known: set[str]) -> list[str]:
    """Another module's private names a file uses: `from x import _y`, or `x._y` where x names a module."""
    tree, modules, found = ast.parse(path.read_text()), set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {'.' * node.level}{node.module or ''} import {alias.name}")
                elif any(m.endswith("." + alias.name) for m in known):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


def test_the_private_name_check_sees_both_forms(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from .routes import _context\nfrom forgetlab.app import services\nservices._hidden()\n")
    assert private_uses(sample, {"forgetlab.app.services"}) == ["from .routes import _context", "services._hidden (line 3)"]


def test_no_module_of_app_uses_another_modules_private_names():
    known = set(module_graph())
    bad = {str(p.relative_to(ROOT)): used for p in (ROOT / "app").rglob("*.py") if (used := private_uses(p, known))}
    assert not bad, bad


def test_the_layers_are_imported_under_the_forgetlab_namespace_only():
    """`import core` from the repository root would load a second copy of every module beside
    forgetlab.core (two registries, two settings caches); the installed lab has no `core` at all."""
    files = [p for folder in ("forgetlab", "core", "app", "worker", "integrations", "migrations", "tests", "bench",
                              "tools", "docs") for p in (ROOT / folder).rglob("*.py")]
    for path in files:
        bare = {m for m in imported_modules(path) if m.split(".")[0] in {"core", "app", "worker", "integrations"}}
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


def test_a_training_process_with_the_callback_loads_no_web_stack():
    """The callback runs inside someone's training: it brings the engine's evaluation, never the web app."""
    loaded = _loaded_after("import forgetlab\nassert 'torch' not in sys.modules\n"
                           "from forgetlab.integrations.transformers import ForgetlabCallback\n"
                           "from forgetlab.integrations.watch import watch")
    assert "torch" in loaded and "transformers" in loaded
    assert not loaded & {"fastapi", "starlette", "celery", "app"}


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


def test_the_pages_package_names_every_module_it_holds():
    # app/pages/__init__.py's docstring is the map a newcomer reads: a page module missing from it is a page
    # nobody finds.
    import forgetlab.app.pages as pages

    folder = Path(pages.__file__).parent
    modules = {p.name for p in folder.glob("*.py")} - {"__init__.py"}
    assert modules and not {m for m in modules if m not in pages.__doc__}
