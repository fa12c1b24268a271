"""Package layout only (metadata is in pyproject.toml): each top-level folder installs as forgetlab.<folder>.

A folder's subfolders become its subpackages, data folders included (the synthetic bases, SmolLM2's
suites, static/vendor), so package data reaches them through pyproject's package-data globs.
"""

from pathlib import Path

from setuptools import setup

FOLDERS = ["forgetlab", "core", "app", "worker", "integrations", "templates", "static", "migrations"]


def packages_under(folder: str) -> dict[str, str]:
    """{import name: folder} for the folder and every subfolder that holds files (no caches)."""
    name = "forgetlab" if folder == "forgetlab" else f"forgetlab.{folder}"
    found = {name: folder}
    for sub in sorted(Path(folder).rglob("*")):
        if sub.is_dir() and "__pycache__" not in sub.parts and any(f.is_file() for f in sub.iterdir()):
            found[".".join([name, *sub.relative_to(folder).parts])] = sub.as_posix()
    return found


PACKAGE_DIR = {k: v for folder in FOLDERS for k, v in packages_under(folder).items()}
setup(packages=list(PACKAGE_DIR), package_dir=PACKAGE_DIR)
