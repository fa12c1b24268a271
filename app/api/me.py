"""Who am I: the account a request acts as (a token, a browser session, or the embedded lab's local instructor)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from forgetlab.app.auth import CurrentUser

router = APIRouter(tags=["accounts"])


class Me(BaseModel):
    id: int
    name: str
    role: str  # instructor | student | guest
    via: str  # token | session | local


@router.get("/me", response_model=Me, responses={401: {"description": "Not signed in"}},
            summary="The account this request acts as")
def me(request: Request, user: CurrentUser):
    """Anyone signed in."""
    return Me(id=user.id, name=user.name, role=user.role, via=request.state.identity.via)
