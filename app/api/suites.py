"""Suites: upload your own capability suite (JSONL of probes, each with its scorer), list yours, read one.

Students and instructors upload; a suite is private to its owner (nobody else lists, reads or measures it,
instructors included). A run measures one by naming its id in the scenario's `suites`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.http import UploadDep
from forgetlab.app.services import suites as suite_service
from forgetlab.core import datasets, suites
from forgetlab.core.store.suites import get_suite, list_suites

from .datasets import rejected
from .schemas import SuiteOut, SuiteSummary

router = APIRouter(prefix="/suites", tags=["suites"])
ERRORS = {413: {"description": f"The file is over {datasets.MAX_BYTES // (1024 * 1024)} MB"},
          422: {"description": "Invalid content: each bad line with its field and the reason; nothing is stored"},
          404: {"description": "No suite of yours has this id"}}
UPLOAD = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": 'JSONL, one {"prompt": ..., "reference": ..., "scorer": ...} per line: '
                                f"{suites.MIN_ITEMS} to {suites.MAX_ITEMS} items; scorers: {', '.join(suites.SCORERS)} "
                                "(docs/engineers.md)"},
        "name": {"type": "string", "maxLength": 40,
                 "description": "The capability it measures (default: the file's name)"}}}}}}}


@router.post("", status_code=201, response_model=SuiteOut, responses=ERRORS, openapi_extra=UPLOAD,
             summary="Upload a capability suite (200 with the same answer if you stored it already)")
def create_suite(response: Response, session: SessionDep, user: MemberUser, upload: UploadDep):
    """Students and instructors."""
    try:
        data, name, _ = upload.read()  # TooLarge; Invalid (no file, a bad name): 422 naming it
        row, created = suite_service.upload(session, data=data, name=name, owner=user)
    except (suites.SuiteError, datasets.TooLarge) as e:
        return rejected(e, suites.where)
    if not created:
        response.status_code = 200
    return suite_service.view(row)


@router.get("", response_model=list[SuiteSummary], summary="Your suites, newest first (without their items)")
def list_all(session: SessionDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Anyone signed in: their own suites."""
    return [suite_service.summary(row) for row in list_suites(session, owner_id=user.id, limit=limit)]


@router.get("/{suite_id}", response_model=SuiteOut, responses=ERRORS, summary="One of your suites, with its items")
def get_one(suite_id: str, session: SessionDep, user: CurrentUser):
    """Its owner only."""
    row = get_suite(session, suite_id=suite_id, owner_id=user.id) if suites.is_suite_id(suite_id) else None
    if row is None:
        raise HTTPException(404, f"no suite {suite_id}")
    return suite_service.view(row)
