"""The run page's "ask the model" box: a question goes to a worker, the page polls for both answers.

Who: anyone who may see the run reads their own questions and answers (RunDep; a question is its asker's
alone); students and instructors ask (MemberUser), since answering takes worker time. Thin over
app/services/asks.py and core.store.asks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import RunDep, SessionDep
from forgetlab.app.http import FormDep, is_htmx
from forgetlab.core.errors import DomainError
from forgetlab.core.store import asks

from ..services.asks import ask
from .render import page

router = APIRouter(include_in_schema=False)


def ask_box(session, run, user, *, prompt: str = "", error: str | None = None) -> dict:
    """What templates/asks.html needs: the run page includes the box with it."""
    questions = asks.list_asks(session, run=run, viewer_id=user.id)
    return {"run": run, "asks": questions, "pending": any(q.status == "queued" for q in questions),
            # an external run's model is not in the lab: nothing to ask
            "can_ask": user.role != "guest" and run.status == "succeeded" and not run.external,
            "prompt": prompt, "error": error, "max_chars": asks.MAX_PROMPT_CHARS}


@router.get("/runs/{run_id}/asks")
def asks_fragment(request: Request, run: RunDep, session: SessionDep, user: CurrentUser):
    """Anyone who may see the run: their questions so far; it polls itself while one waits for its answers."""
    return page(request, "asks.html", ask_box(session, run, user))


@router.post("/runs/{run_id}/asks")
def ask_form(request: Request, run: RunDep, session: SessionDep, user: MemberUser, form: FormDep):
    """Students and instructors who may see the run: ask; a bad question comes back with its reason."""
    prompt = str(form.get("prompt", ""))
    try:
        ask(session, state=request.app.state, run=run, prompt=prompt, owner=user)
    except DomainError as e:
        return page(request, "asks.html", ask_box(session, run, user, prompt=prompt, error=e.message),
                    status_code=422)
    if not is_htmx(request):  # a plain form post: back to the run page, where the box polls
        return RedirectResponse(f"/runs/{run.id}#ask", status_code=303)
    return page(request, "asks.html", ask_box(session, run, user))
