"""Questions to a run's model (the run page's "ask the model" box) and their answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, NeverReused, utcnow

class Ask(NeverReused, Base):
    """A question to a run's model from the run page's "ask the model" box: a worker answers it with the
    base's and the fine-tuned model's greedy answers (worker/asking.py). Kept, so the page shows the
    conversation so far."""

    __tablename__ = "asks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None)  # who asked (users.id; no FK, as runs)
    prompt: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | answered | failed
    base_answer: Mapped[str | None] = mapped_column(Text, default=None)
    tuned_answer: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
