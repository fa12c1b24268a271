"""Your capability suites (/suites): the list of yours and the upload form (POST /suites)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.http import UploadDep
from forgetlab.app.services import suites as suite_service
from forgetlab.core import suites
from forgetlab.core.datasets import TooLarge
from forgetlab.core.errors import DomainError
from forgetlab.core.store.suites import list_suites

from .render import page

router = APIRouter(include_in_schema=False)


def _page(request: Request, session, user, *, upload: dict | None = None, status_code: int = 200):
    rows = [suite_service.summary(row) for row in list_suites(session, owner_id=user.id, limit=200)]
    return page(request, "suites.html", {"rows": rows, "upload": upload, "scorers": list(suites.SCORERS),
                                         "limits": {"min": suites.MIN_ITEMS, "max": suites.MAX_ITEMS}},
                status_code=status_code)


@router.get("/suites")
def suites_page(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: their own suites (a guest has none) and, for students and instructors, the upload."""
    return _page(request, session, user)


@router.post("/suites")
def upload_suite_form(request: Request, session: SessionDep, user: MemberUser, upload: UploadDep):
    """Students and instructors. Back to the list with the new suite, or the list with every bad line (422, 413);
    nothing is stored unless all is valid."""
    try:
        data, name, _ = upload.read()
        row, _ = suite_service.upload(session, data=data, name=name, owner=user)
    except DomainError as e:  # TooLarge, SuiteError (per line), Invalid (no file, a bad name)
        upload = {"error": e.message, "lines": [(suites.where(err), err["reason"]) for err in getattr(e, "errors", [])]}
        return _page(request, session, user, upload=upload, status_code=413 if isinstance(e, TooLarge) else 422)
    return RedirectResponse(f"/suites?added={row.id}", status_code=303)
