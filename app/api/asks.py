"""Ask a run's model: one question to the run's base and to its fine-tuned model, answered by a worker.

Who: students and instructors who may see the run ask (answering takes worker time, so guests do not
ask); each reads only the questions they asked and their answers (core/store/asks.py). The web process
never loads a model: it stores the question and enqueues it, and the page polls for the answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import RunDep, SessionDep
from forgetlab.app.services.asks import ask
from forgetlab.core.store import asks

from .schemas import datetime

router = APIRouter(prefix="/runs", tags=["asks"])
ERRORS = {404: {"description": "Unknown run id"},
          422: {"description": "An empty or too long question, or a run whose model is not saved yet"}}


class AskIn(BaseModel):
    prompt: str = Field(description=f"The question, at most {asks.MAX_PROMPT_CHARS} characters",
                        max_length=asks.MAX_PROMPT_CHARS)


class AskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    prompt: str
    status: str  # queued | answered | failed
    base_answer: str | None
    tuned_answer: str | None
    error: str | None
    created_at: datetime
    answered_at: datetime | None


@router.post("/{run_id}/asks", status_code=202, response_model=AskOut, responses=ERRORS,
             summary="Ask the base and the fine-tuned model the same question (answered by a worker)")
def create_ask(request: Request, run: RunDep, session: SessionDep, user: MemberUser, body: AskIn):
    """Students and instructors who may see the run."""
    return ask(session, state=request.app.state, run=run, prompt=body.prompt, owner=user)


@router.get("/{run_id}/asks", response_model=list[AskOut], responses=ERRORS,
            summary="The questions you asked of a run's model, oldest first, with their answers")
def list_asks(run: RunDep, session: SessionDep, user: CurrentUser):
    """Anyone who may see the run: the questions they asked (a question is its asker's alone)."""
    return asks.list_asks(session, run=run, viewer_id=user.id)
