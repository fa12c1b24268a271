"""Code, comments, docstrings, migrations and tests name modules and behaviour, never issue numbers:
an issue number means nothing to a reader of the repository (docs are held to the same in test_docs.py)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ["core", "app", "worker", "migrations", "tests", "bench"]
ISSUE = re.compile(r"\bissues?\s*#?\s*\d+", re.I)


def citations() -> list[str]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                found += [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}" for m in ISSUE.finditer(line)]
    return found


def test_no_python_file_cites_an_issue_number():
    found = citations()
    assert not found, "name the module or the behaviour instead:\n  " + "\n  ".join(found)


def test_the_pattern_finds_the_usual_spellings():
    number = "1" + "2"  # built here, so that this file cites no issue number itself
    for text in (f"(issue {number})", f"Issue {number}: the bar", f"issues {number} and 13", f"issue #{number}"):
        assert ISSUE.search(text), text
    assert not ISSUE.search("an issue with 3 workers") and not ISSUE.search("issues")
