"""The one-time set-password page (/set-password/{secret}): a roster import's new student, or one whose
instructor reset their password, chooses a password, then logs in. Thin over core/store/invites.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import PUBLIC
from forgetlab.app.deps import SessionDep
from forgetlab.core.errors import DomainError
from forgetlab.core.store import invites

from .render import page

router = APIRouter(include_in_schema=False)
SPENT = "This link does not work: it was used, replaced by a newer one, or it expired. Ask your instructor for a new one."


@router.get("/set-password/{secret}", dependencies=[PUBLIC])
def set_password_page(request: Request, session: SessionDep, secret: str):
    """Anyone holding the link: a form for the account's password (a spent or unknown link: 404)."""
    user = invites.link_user(session, secret)
    if user is None:
        return page(request, "set_password.html", {"error": SPENT}, status_code=404)
    return page(request, "set_password.html", {"name": user.name, "secret": secret})


@router.post("/set-password/{secret}", dependencies=[PUBLIC])
def set_password(request: Request, session: SessionDep, secret: str, password: Annotated[str, Form()] = ""):
    """Anyone holding the link: sets the password once (a bad password: 422 naming it; the link stays)."""
    user = invites.link_user(session, secret)
    if user is None:
        return page(request, "set_password.html", {"error": SPENT}, status_code=404)
    try:
        invites.use_link(session, secret=secret, password=password)
    except DomainError as e:
        return page(request, "set_password.html", {"name": user.name, "secret": secret,
                                                   "errors": {e.field: e.message}}, status_code=422)
    return RedirectResponse("/login", status_code=303)
