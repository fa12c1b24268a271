"""The docs: a short README that opens with the two commands CI runs, and a docs site that builds with
`mkdocs build --strict` (every page in the nav, every internal link and anchor resolving), naming
modules and behaviour rather than issue numbers and linking only inside the repository. That every
repository path they name exists is tests/test_named_paths.py's job."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
# The README's first two commands, byte for byte: the first serves the lab on its embedded default,
# the second installs and runs the tests, and .ci/run runs the second verbatim.
SERVE = ("python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/forgetlab install smollm2 "
         "&& .venv/bin/forgetlab serve")
TEST = ("python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/forgetlab install smollm2 "
        "&& .venv/bin/pytest -q")
EXTERNAL = re.compile(r"\]\(\s*<?[a-z][a-z0-9+.-]*:|<(?:https?|ftp|mailto):|(?:href|src)=\"[a-z][a-z0-9+.-]*:", re.I)
ISSUE = re.compile(r"\bissues? #?\d+", re.I)


def _rel(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_readme_is_short():
    lines = README.read_text().count("\n")
    assert lines <= 250, f"README.md has {lines} lines; move detail into docs/"


def test_readme_opens_with_the_two_commands():
    assert README.read_text().splitlines()[:5] == ["# forgetlab", "", "```bash", SERVE, TEST]
    assert TEST in (ROOT / ".ci" / "run").read_text().splitlines(), ".ci/run no longer runs the README's test command"


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_docs_link_only_inside_the_repository(page):
    found = [f"{_rel(page)}:{n}: {line.strip()}" for n, line in enumerate(page.read_text().splitlines(), 1)
             if EXTERNAL.search(line)]
    assert not found, "links outside the repository:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_docs_name_behaviour_not_issue_numbers(page):
    found = [f"{_rel(page)}:{n}: {m.group(0)!r}" for n, line in enumerate(page.read_text().splitlines(), 1)
             for m in ISSUE.finditer(line)]
    assert not found, "issue numbers mean nothing to a reader of the repository:\n  " + "\n  ".join(found)


def test_the_checks_catch_what_they_look_for():
    assert EXTERNAL.search("see [the paper](https://example.org/x)") and EXTERNAL.search('<img src="http://x/y.png">')
    assert not EXTERNAL.search("see [the claims](claims.md#the-table) at `http://localhost:8000/`")
    number = "1" + "1"  # built here, so that this file cites no issue number itself
    assert ISSUE.search(f"as issue {number} decided") and ISSUE.search(f"after issues {number}-13")


def test_the_site_builds_strictly(tmp_path):
    """Any warning (a broken link or anchor, a page left out of the nav) fails the build under --strict."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert "No module named mkdocs" not in output, "mkdocs is missing: pip install -e '.[test]'"
    warnings = [line for line in output.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    assert done.returncode == 0 and not warnings, output
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "claims" / "index.html").is_file()
