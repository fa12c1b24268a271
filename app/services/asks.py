"""Ask a run's model: the question is stored, then sent to a worker on the run's queue (the web process
never loads a model)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core.errors import Invalid
from forgetlab.core.store import asks
from forgetlab.core.store.models import Run, User


def ask(session: Session, *, state, run: Run, prompt: str, owner: User):
    """Store a question to the run's model and send it to a worker on the run's queue. Only a finished run
    has a saved model; the question is refused before it is stored otherwise."""
    if run.status != "succeeded":
        raise Invalid(f"the run is {run.status}: its model can be asked once the run has succeeded", "prompt")
    if run.external:
        raise Invalid(f"run {run.id} was trained outside the lab: its model is not here to ask", "prompt")
    question = asks.create_ask(session, run_id=run.id, prompt=prompt, owner_id=owner.id)
    try:
        state.executor.submit_ask(question.id, run.queue)
    except Exception as e:  # the broker is down: the question says so rather than waiting forever
        asks.answer(session, ask_id=question.id, error=f"no worker could be reached ({type(e).__name__}); ask again")
        session.refresh(question)
    return question
