"""tools/offline_kit.py: what the kit carries, and that its install script assembles its parts and installs the
wheels and the lab (from the local package index pip is configured with, as the tool itself uses)."""

import importlib.metadata as metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet

from tools.offline_kit import build, closure, present, target_environment

ROOT = Path(__file__).resolve().parents[1]
SMALL = "immutabledict"  # a pure-Python requirement of if-verifiable: a kit of one small wheel


def test_the_closure_is_the_engines_and_leaves_out_the_web_and_torch():
    own, versions, _ = closure(target_environment("3.12"))
    assert {"transformers", "peft", "if-verifiable", "pydantic-settings", "gguf", SMALL} <= set(versions)
    assert not {"fastapi", "sqlalchemy", "celery", "jinja2", "torch", "numpy"} & set(versions)
    assert "transformers" in {r.name for r in own}


def test_what_the_target_has_counts_only_where_its_version_fits():
    need = [SpecifierSet(">=5.25,<6")]
    assert not present("transformers", {"transformers": "5.17.0"}, need, own=True)
    assert present("transformers", {"transformers": "5.25.0"}, need, own=True)
    assert not present("transformers", {"transformers": None}, need, own=True)  # the lab's own: version unknown
    assert present("pyarrow", {"pyarrow": None}, [SpecifierSet(">=15")], own=False)
    assert not present("pyarrow", {}, [], own=False)


def test_the_kit_installs_from_its_parts(tmp_path):
    _, versions, _ = closure(target_environment("3.12"))
    have = tmp_path / "have.txt"
    have.write_text("\n".join(f"{n}=={v}" for n, v in versions.items() if n != SMALL))
    kit = tmp_path / "kit"
    major_minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    carried, parts = build(kit, major_minor, str(have), part_bytes=8192, model=False)
    assert carried == {SMALL: metadata.version(SMALL)} and parts >= 2

    checkout = tmp_path / "checkout"
    for name in ["forgetlab", "core", "app", "worker", "integrations", "templates", "static", "migrations", "bench"]:
        shutil.copytree(ROOT / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["setup.py", "pyproject.toml", "README.md"]:
        shutil.copy(ROOT / name, checkout / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "KIT_STASH": str(tmp_path / "stash"), "KIT_SITE": str(tmp_path / "site")}
    first = tmp_path / "first"  # a transfer that carried only the first part
    first.mkdir()
    shutil.copy(kit / "part-00", first / "part-00")

    def install(folder: Path) -> str:
        return subprocess.run(["bash", str(kit / "install.sh"), str(folder)], cwd=checkout, env=env,
                              capture_output=True, text=True, check=True).stdout

    assert f"1 of {parts} parts" in install(first)
    assert "installed" in install(kit)
    site = tmp_path / "site"
    assert (site / SMALL).is_dir() and (site / "forgetlab" / "core" / "tiers" / "synthetic").is_dir()
    # As install.sh says to run a bench: from the checkout, whose own forgetlab/ must not hide the installed one.
    code = "import immutabledict, bench, forgetlab.core.tiers as t; print(t.__file__)"
    check = subprocess.run([sys.executable, "-c", code], cwd=checkout, capture_output=True, text=True,
                           env={**env, "PYTHONPATH": f"{site}:{checkout}", "PYTHONSAFEPATH": "1"})
    assert check.stdout.startswith(str(site)), check.stderr
