"""Every repository path the prose names exists: in the README, in docs/, and in the comments and
docstrings of the code. Files move; a sentence that still points at the old place misleads the next
reader, so a failure names the file (and line) that names a missing path.

What counts as a path, so that the check is reliable rather than a guess:
- a word starting with a top-level folder and a slash (`core/tiers/smollm2/data/`,
  `worker/engine/train.py`, `docs/compare.png`), anywhere in the text, code spans included;
- a module name under the namespace (`forgetlab.core.scenario`, `forgetlab.worker.engine.gate.run_gate`)
  or a benchmark (`bench.flood`): it must resolve to a file, and a trailing name to something that
  file defines;
- in Markdown, a link or image target, resolved from the page that holds it (and its `#anchor`
  against the target page's headings).
A placeholder in capitals or of one letter (`core/mitigations/NAME.py`, `bench.NAME`,
`forgetlab.core.x`) must match at least one file;
`tests/{core,app}` and `<...>` forms are templates and are skipped.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = ["core", "app", "worker", "integrations", "bench", "migrations", "tests", "docs", "templates", "static", "tools",
       "forgetlab", ".ci"]
CODE = ["core", "app", "worker", "integrations", "bench", "migrations", "tests", "tools"]
NAMESPACE = {"core", "app", "worker", "integrations", "migrations", "templates", "static"}

PATH = re.compile(r"(?<![\w./~-])((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./*-]*)([{<]?)")
MODULE = re.compile(r"(?<![\w./-])((?:forgetlab\.(?:" + "|".join(NAMESPACE) + r")|bench)(?:\.\w+)+)")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img[^>]*\ssrc=\"([^\"]+)\"")
# A placeholder: a word in capitals (NAME, ID) or a single letter (core/x/y.py).
PLACEHOLDER = re.compile(r"(?<![A-Za-z])[A-Z][A-Z_]*[A-Z](?![a-z])|(?<![\w-])[a-z](?![\w-])")


def _exists(rel: str) -> bool:
    """A path exists, or (with * or a placeholder) matches at least one file; `core/assignments.apply` names a
    module's attribute, which the module must define."""
    if (ROOT / rel).exists():
        return True
    pattern = PLACEHOLDER.sub("*", rel.rstrip("/"))
    if "*" in pattern:
        return any(ROOT.glob(pattern))
    module, _, name = rel.rpartition(".")
    return (ROOT / f"{module}.py").is_file() and name in _defined_names(ROOT / f"{module}.py")


def _defined_names(path: Path) -> set[str]:
    """Top-level names a module defines or imports."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _module_resolves(name: str) -> bool:
    """forgetlab.core.x.y -> core/x/y.py or core/x/y/; one trailing name may be defined in the module."""
    parts = name.split(".")
    if parts[0] == "forgetlab":
        parts = parts[1:]
    if any(PLACEHOLDER.fullmatch(p) for p in parts):
        return _exists("/".join(parts) + ".py") or _exists("/".join(parts) + "/")
    here = ROOT / parts[0]
    for i, part in enumerate(parts[1:], start=1):
        if (here / part).is_dir():
            here = here / part
        elif (here / f"{part}.py").is_file():
            here = here / f"{part}.py"
        else:
            module = here if here.suffix == ".py" else here / "__init__.py"
            rest = parts[i:]
            return len(rest) == 1 and module.is_file() and rest[0] in _defined_names(module)
    return here.exists()


def missing_in_text(text: str) -> list[tuple[int, str]]:
    """(line, name) of every repository path or module in the text that does not exist."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in PATH.finditer(line):
            rel, template = match.group(1).rstrip(".,;:"), match.group(2)
            if not template and not _exists(rel):
                found.append((number, rel))
        for match in MODULE.finditer(line):
            if not _module_resolves(match.group(1)):
                found.append((number, match.group(1)))
    return found


def _heading_anchors(page: Path) -> set[str]:
    """The anchors MkDocs (and GitHub) give a page's headings: lower case, punctuation out, spaces to -."""
    anchors, fenced = set(), False
    for line in page.read_text().splitlines():
        fenced ^= line.startswith("```")
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*$", line)
        if heading and not fenced:
            anchors.add(re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", heading.group(1).lower())).strip("-"))
    return anchors


def broken_links(page: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, target) of every link or image in a Markdown page that leaves the repository or misses."""
    found = []
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        for match in LINK.finditer(line):
            target = match.group(1) or match.group(2)
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:: outside the repository
                found.append((number, f"{target} (a link outside the repository)"))
                continue
            rel, _, anchor = target.partition("#")
            file = (page.parent / rel).resolve() if rel else page
            if not file.is_relative_to(root) or not file.exists():
                found.append((number, target))
            elif anchor and file.suffix == ".md" and anchor not in _heading_anchors(file):
                found.append((number, f"{target} (no heading with that anchor)"))
    return found


def comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    """(first line, text) of every comment and docstring in a Python file."""
    source = path.read_text()
    pieces = [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(source).readline)
              if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                pieces.append((first.lineno, first.value.value))
    return pieces


def _markdown_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _code_files() -> list[Path]:
    return sorted(p for top in CODE if (ROOT / top).is_dir() for p in (ROOT / top).rglob("*.py"))


def _report(problems: list[str]) -> str:
    return "repository paths named but missing:\n  " + "\n  ".join(problems)


def test_the_checker_sees_paths_modules_and_placeholders():
    """The checker itself: it must catch a moved file and a moved module, or the tests below prove nothing."""
    text = ("`core/scenario.py` and core/no_such_file.py; forgetlab.core.scenario.Scenario, "
            "forgetlab.core.no_such_module, forgetlab.core.scenario.no_such_name; `python -m bench.NAME`, "
            "core/mitigations/NAME.py, tests/{core,app}, docs/*.png, docs/*.gif, core/scenario.Scenario, "
            "core/scenario.Nothing")
    assert [name for _, name in missing_in_text(text)] == [
        "core/no_such_file.py", "docs/*.gif", "core/scenario.Nothing", "forgetlab.core.no_such_module",
        "forgetlab.core.scenario.no_such_name"]


def test_the_checker_reads_comments_and_docstrings(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Module: core/a.py."""\n\nx = "core/b.py"  # core/c.py\n\n\ndef f():\n    """core/d.py"""\n')
    texts = sorted(text for _, text in comments_and_docstrings(sample))
    assert texts == ["# core/c.py", "Module: core/a.py.", "core/d.py"]


def test_the_checker_follows_links_and_anchors(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Title\n\n## The table\n")
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/a.md#the-table) [gone](docs/b.md) [anchor](docs/a.md#nothing)\n"
                    '<img src="docs/a.md"> [out](../x.md) [web](https://example.org)\n')
    assert [target for _, target in broken_links(page, root=tmp_path)] == [
        "docs/b.md", "docs/a.md#nothing (no heading with that anchor)", "../x.md",
        "https://example.org (a link outside the repository)"]


@pytest.mark.parametrize("page", _markdown_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_names_only_paths_that_exist(page):
    rel = page.relative_to(ROOT)
    problems = [f"{rel}:{line} names {name}" for line, name in missing_in_text(page.read_text())]
    problems += [f"{rel}:{line} links to {target}" for line, target in broken_links(page)]
    assert not problems, _report(problems)


def test_code_comments_and_docstrings_name_only_paths_that_exist():
    problems = []
    for path in _code_files():
        for start, text in comments_and_docstrings(path):
            for offset, name in missing_in_text(text):
                problems.append(f"{path.relative_to(ROOT)}:{start + offset - 1} names {name}")
    assert not problems, _report(problems)
