"""HTML pages: the scenario builder, the run page and the runs list (Jinja2 + htmx)."""

from pathlib import Path

# templates/ and static/ sit at the repository's top level, beside app/.
ROOT_DIR = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = ROOT_DIR / "templates"
STATIC_DIR = ROOT_DIR / "static"
