"""Template rendering: the whole page, or only the block an htmx request targets.

An htmx request names its target element (HX-Target); if the page has a block of that name
(dashes read as underscores), only that block is rendered. Responses vary on HX-Request, so a
cache never serves a fragment for a full page or the reverse.
"""

from __future__ import annotations

from fastapi import Request
from jinja2 import pass_context
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from forgetlab.core.results import TASK_ACCURACY, TASK_NLL, cap_key

from ..auth import csrf_token, viewer
from ..http import is_htmx
from ..views.comparison import fmt
from ..views.percent import pct, percent, signed, signed_pts
from ..views.reading import key_settings
from . import TEMPLATES_DIR

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.filters.update(pct=pct, percent=percent, signed=signed)  # views/percent.py: one rounding rule
templates.env.filters["fmtv"] = fmt  # a config value as a sweep grid or a comparison shows it
templates.env.globals.update(cap_key=cap_key, TASK_ACCURACY=TASK_ACCURACY, TASK_NLL=TASK_NLL,
                             key_settings=key_settings, signed_pts=signed_pts,
                             ASSETS="10")  # bump to make browsers refetch app.css / run.js


@pass_context
def _csrf(context) -> str:
    """This browser's CSRF token (app/auth/csrf.py): htmx sends it from base.html's hx-headers."""
    return csrf_token(context["request"])


@pass_context
def _csrf_field(context) -> Markup:
    """The hidden input every state-changing form carries: {{ csrf_field() }}."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token(context["request"]))


@pass_context
def _me(context):
    """The signed-in user of this request, or None (the user menu)."""
    return viewer(context["request"])


templates.env.globals.update(csrf=_csrf, csrf_field=_csrf_field, me=_me)


def page(request: Request, name: str, context: dict, *, blocks: tuple[str, ...] = (), status_code: int = 200):
    target = (request.headers.get("HX-Target") or "").replace("-", "_") if is_htmx(request) else ""
    block = target if target in blocks else None
    if block:  # a fragment may carry out-of-band swaps (per-field errors) the full page renders in place
        context = {**context, "oob": True}
    response = templates.TemplateResponse(request, name, context, status_code=status_code, block_name=block)
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response
