"""Bulk cancel: every queued run of one's own, in one request (a flood of runs is undone in one call)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from forgetlab.app.auth import MemberUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.services.runs import cancel_queued as cancel_all_queued
from forgetlab.core.ids import parse_ids

router = APIRouter(prefix="/runs", tags=["runs"])


class Cancelled(BaseModel):
    cancelled: list[int]  # the runs this call cancelled, in id order
    count: int


@router.post("/cancel-queued", response_model=Cancelled,
             responses={422: {"description": "A run id that is not a number"}},
             summary="Cancel all of your queued runs (or those of `runs` among them); running ones are not touched")
def cancel_queued(request: Request, session: SessionDep, user: MemberUser,
                  run_ids: Annotated[list[str], Query(alias="runs", description="Only these run ids "
                                                      "(comma-separated or repeated); others' runs are skipped")]
                  = []):  # noqa: B006
    """Students and instructors: only runs they own (an instructor cancels a student's run one by one)."""
    chosen = parse_ids(run_ids) if run_ids else None
    done = cancel_all_queued(session, state=request.app.state, owner=user, run_ids=chosen)
    return Cancelled(cancelled=done, count=len(done))
