"""HTML pages (Jinja2 + htmx), thin over app/services/: parse the request, call a service, render a template.

One router per module, all included by main.py: builder.py (the scenario builder, /, and its "Run it"),
upload.py (the builder's own-data upload), suites.py (engineers' own evaluation suites), runs.py (the runs list), run.py (a run's page and its owner's
actions), sweeps.py, compare.py (comparisons and the gate), asks.py (the run page's "ask the model" box),
classes.py (classes, joining, lessons), assignments.py (an assignment, its attempts, leaderboard and
dashboard), invites.py (the set-password page a roster import or a reset sends), account.py (log in, sign up, account, user admin) and
api_docs.py (/docs and /redoc).

Beside them: render.py (templates, whole page or htmx block), forms.py (the scenario as a form and a URL
query), builder_state.py (what the builder shows), sweep_form.py (the builder's sweep rows),
assignment_form.py (the instructor's assignment form) and markup.py (Markdown instructions).
"""

from pathlib import Path

# templates/ and static/ sit beside app/: at the repository's top level, and in an installed package as the
# forgetlab.templates and forgetlab.static packages beside forgetlab.app (setup.py maps each folder).
ROOT_DIR = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = ROOT_DIR / "templates"
STATIC_DIR = ROOT_DIR / "static"
