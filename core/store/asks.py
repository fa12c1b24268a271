"""Questions to a run's model (the run page's "ask the model" box): asked by the web, answered by a worker."""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from forgetlab.core.errors import Invalid

from .models import Ask, Run, utcnow

MAX_PROMPT_CHARS = 500  # a question, not a document: the answer is bounded by the tier's generation budget
MAX_ASKS_PER_RUN = 50  # per asking user: the page keeps the conversation; this bounds what one person adds to a run


def create_ask(session: Session, *, run_id: int, prompt: str, owner_id: int | None) -> Ask:
    prompt = prompt.strip()
    if not prompt:
        raise Invalid("write a question for the model", "prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise Invalid(f"at most {MAX_PROMPT_CHARS} characters (this one has {len(prompt)})", "prompt")
    # Each asker has their own budget, so the viewers of a shared run cannot spend its owner's (or each other's).
    asked = session.scalar(select(func.count()).select_from(Ask).where(Ask.run_id == run_id,
                                                                      Ask.owner_id == owner_id)) or 0
    if asked >= MAX_ASKS_PER_RUN:
        raise Invalid(f"you have asked this run {MAX_ASKS_PER_RUN} questions, the most one person may", "prompt")
    ask = Ask(run_id=run_id, prompt=prompt, owner_id=owner_id)
    session.add(ask)
    session.commit()
    return ask


def get_ask(session: Session, *, ask_id: int) -> Ask | None:
    return session.get(Ask, ask_id)


def list_asks(session: Session, *, run: Run, viewer_id: int) -> list[Ask]:
    """The questions `viewer_id` asked of the run's model, oldest first. A question is its asker's alone, as their
    budget is: the viewers of a shared run (a class's, say) never read each other's. One whose asker was not
    recorded (owner_id NULL) goes with the run, to its owner (to every viewer of a run with no owner)."""
    mine = Ask.owner_id == viewer_id
    if run.owner_id in (None, viewer_id):
        mine = or_(mine, Ask.owner_id.is_(None))
    return list(session.scalars(select(Ask).where(Ask.run_id == run.id, mine).order_by(Ask.id)))


def pending_asks(session: Session) -> list[Ask]:
    """Questions not answered yet, oldest first: re-sent when a message to a worker was lost."""
    return list(session.scalars(select(Ask).where(Ask.status == "queued").order_by(Ask.id)))


def answer(session: Session, *, ask_id: int, base: str | None = None, tuned: str | None = None,
           error: str | None = None) -> bool:
    """Record the answers (or why there are none); False when the question was answered already."""
    done = session.execute(update(Ask).where(Ask.id == ask_id, Ask.status == "queued").values(
        status="failed" if error else "answered", base_answer=base, tuned_answer=tuned, error=error,
        answered_at=utcnow()))
    session.commit()
    return done.rowcount == 1
