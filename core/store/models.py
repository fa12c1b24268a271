"""Tables: runs, their metric points (narrow rows), their sample outputs, sweeps of runs, users' datasets,
and accounts (users, browser sessions, API tokens).

The database is the source of truth for everything a page shows; the live channel only says
"something new is there". Metric points are (run_id, step, key) -> value so any new measure
needs no migration, and the composite primary key makes re-inserting a step a no-op.
Timestamps are naive UTC, compared the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class NeverReused:
    """For tables whose integer ids users see: an id is never given out again after its row is deleted.

    SQLite otherwise reuses the highest id after a delete, so a new run could inherit a deleted run's
    id, and with it its files or a cached page. PostgreSQL's sequences never reuse an id anyway.
    """

    __table_args__ = {"sqlite_autoincrement": True}


class Run(NeverReused, Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    config: Mapped[dict] = mapped_column(JSON)  # the validated scenario, model_dump(mode="json")
    config_hash: Mapped[str] = mapped_column(String(32), index=True)  # the run cache's key
    preset: Mapped[str | None] = mapped_column(String(64), default=None)  # set when config equals a preset
    queue: Mapped[str] = mapped_column(String(32), default="cpu")
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)  # last step with metrics, for progress
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)  # host:pid that runs it
    error: Mapped[str | None] = mapped_column(Text, default=None)
    info: Mapped[dict | None] = mapped_column(JSON, default=None)  # parameters, trainable, early stop reason
    summary: Mapped[dict | None] = mapped_column(JSON, default=None)
    # The held-out split (migration 0022, core/holdout.py): the split an attempt's run is measured with
    # ({share, salt}), and the private part of its summary, apart from `summary` so no route showing one shows it.
    holdout: Mapped[dict | None] = mapped_column(JSON, default=None)
    private_summary: Mapped[dict | None] = mapped_column(JSON, default=None)
    samples_step: Mapped[int | None] = mapped_column(Integer, default=None)  # latest step with samples
    # The sweep that launched this run (no foreign key: see migration 0002); membership is SweepRun.
    sweep_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # Accounts (migration 0004): who made the run (NULL: made before accounts; instructors see those),
    # and whether its owner shared it with everyone who can sign in, guests included. No foreign key,
    # for the reason of sweep_id; users are disabled, never deleted, so an owner id never dangles.
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # The outbox (migration 0006): when the run's message last went to the executor. NULL while queued means
    # it was never sent (the broker was down); the web's reconciler sends it, and again if it seems lost.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # A person's words on a run (migration 0007): a name, tags (comma-separated, lowercase) and a note; and the
    # run a one-click follow-up was made from, so the run page can put the two side by side.
    name: Mapped[str | None] = mapped_column(String(120), default=None)
    tags: Mapped[str | None] = mapped_column(String(300), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    parent_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # Trained outside the lab (migration 0020): a Trainer callback or forgetlab.watch streams its points in
    # (core/store/external.py). The lab never queues, retries or reaps it; its owner's process ends it.
    external: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class MetricPoint(Base):
    __tablename__ = "metric_points"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class SampleSet(Base):
    __tablename__ = "sample_sets"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    samples: Mapped[list] = mapped_column(JSON)  # [{capability, prompt, expected, base, output}]


class Sweep(NeverReused, Base):
    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    spec: Mapped[dict] = mapped_column(JSON)  # as submitted: {preset | base, grid}
    axes: Mapped[dict] = mapped_column(JSON)  # {field: [values]} in grid order, for tables and titles
    size: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)  # see Run.owner_id


class RunArtifact(Base):
    """One file of a run's saved model kept in the database (migration 0021; core/store/artifacts.py): its bytes
    are the PostgreSQL large object `oid`."""

    __tablename__ = "run_artifacts"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    oid: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)


class SweepRun(Base):
    """One grid point of a sweep and the run that holds its result (new, or reused from the cache)."""

    __tablename__ = "sweep_runs"

    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    reused: Mapped[bool] = mapped_column(Boolean, default=False)


class DatasetContent(Base):
    """The pairs of an uploaded dataset (core/datasets.py), stored once however many upload them: its id is the
    hash of its pairs, so it never changes. One JSON document; 2 MB at most. Who may use it is StoredDataset's
    (migration 0024): a content row alone belongs to nobody."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # first stored
    pairs: Mapped[list] = mapped_column(JSON)  # [[prompt, response], ...] sorted by prompt


class StoredDataset(Base):
    """One uploader's dataset: their link to the content (`id`, the content's id) under the name and file size
    they uploaded it with. Private to its owner (core/store/access.py): the same pairs uploaded by two users are
    two rows over one content row (migration 0024). owner_id NULL: uploaded before accounts."""

    __tablename__ = "user_datasets"
    __table_args__ = (Index("ux_user_datasets_id_owner", "id", "owner_id", unique=True),
                      Index("ix_user_datasets_owner_created", "owner_id", "created_at"))  # a user's list

    # A surrogate key: (id, owner_id) is the natural one, but a key column cannot be NULL on PostgreSQL.
    link_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(16))  # the content's (DatasetContent.id); a plain column, as in 0004
    owner_id: Mapped[int | None] = mapped_column(Integer, default=None)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer)  # of the file this owner uploaded
    content: Mapped[DatasetContent] = relationship(
        primaryjoin="foreign(StoredDataset.id) == DatasetContent.id", lazy="select", viewonly=True)


class StoredSuite(Base):
    """An engineer's own capability suite (core/suites.py), whole and unchanging: its id is the hash of its name
    and items. Private to its owner: the same file uploaded by two engineers is two rows (migration 0023)."""

    __tablename__ = "user_suites"
    __table_args__ = (Index("ix_user_suites_owner_created", "owner_id", "created_at"),)  # a user's list

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    size_bytes: Mapped[int] = mapped_column(Integer)
    items: Mapped[list] = mapped_column(JSON)  # canonical items, sorted by prompt


# admin (migration 0013): what an instructor may, plus the user admin (accounts and roles); an instructor
# teaches their own classes and manages nobody's account.
ROLES = ("instructor", "student", "guest", "admin")
TEACHERS = ("instructor", "admin")  # who may create and teach classes


class User(NeverReused, Base):
    """An account. `password_hash` is argon2 (core/store/accounts.py); NULL means password login is off for
    it (the embedded lab's local instructor until someone sets one). Users are disabled, never deleted."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the login name, lowercase
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[str] = mapped_column(String(16), default="student")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Profile(Base):
    """A user's name and email for the gradebook export (migration 0014), when known: a roster import fills them.
    A table of its own, so the users table (which every sign-in reads) keeps its shape."""

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)


class PasswordLink(NeverReused, Base):
    """A one-time link that sets a user's password (migration 0015): a roster import's new account, or an
    instructor's reset. Only the secret's SHA-256 is stored; it works once, before `expires_at`."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class UserSession(Base):
    """A browser session: the cookie holds a random secret, the table only its SHA-256 (a leaked table
    signs nobody in). Deleted on log-out, on a password change (the others) and when a user is disabled."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's secret
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(NeverReused, Base):
    """A personal API token (`Authorization: Bearer fl_...`), stored as its SHA-256 only; revoked, not deleted,
    so the account page can show when."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it by
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


# --- classes (migration 0005; core/store/classes.py) ----------------------------------------------------
class Classroom(NeverReused, Base):
    """An instructor's class; students join it with its join code (/join/{code})."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    instructor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Membership(Base):
    __tablename__ = "class_members"

    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assignment(NeverReused, Base):
    """A scenario template (core/assignments.Template as JSON), a goal, and the leaderboard's rules."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered with HTML escaped
    template: Mapped[dict] = mapped_column(JSON)
    goal: Mapped[str] = mapped_column(String(500))
    score: Mapped[str] = mapped_column(String(200), default="mean(retention)")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    qualify: Mapped[str | None] = mapped_column(String(500), default=None)
    attempt_budget: Mapped[int | None] = mapped_column(Integer, default=None)  # per student
    run_budget: Mapped[int | None] = mapped_column(Integer, default=None)  # all students together
    due_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # naive UTC
    show_names: Mapped[bool] = mapped_column(Boolean, default=False)  # on the leaderboard students see
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Grades (migration 0014; core/grading.py): {clause: points} (None: 100 for a pass, else 0), and the late
    # policy: "hard" (refused after the due date), "penalty" (late_penalty percent off per day) or "none".
    points: Mapped[dict | None] = mapped_column(JSON, default=None)
    late_policy: Mapped[str] = mapped_column(String(16), default="hard")
    late_penalty: Mapped[float | None] = mapped_column(Float, default=None)
    # The held-out split (migration 0022, core/holdout.py): the share of probes kept private (None: no split) and
    # the random salt that picks them, never shown to students.
    private_share: Mapped[float | None] = mapped_column(Float, default=None)
    private_salt: Mapped[str | None] = mapped_column(String(64), default=None)


class AssignmentAttempt(NeverReused, Base):
    """A student's run on an assignment; `passed`/`reason` are the verdict of `goal` once the run has ended.

    `goal` is the assignment's goal when the attempt was made (migration 0009): the attempt is judged by it,
    so the assignment's goal may change while attempts run. None only for a row written without one; it is
    then judged by the assignment's goal (app/services/attempts.py, goal_of)."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    goal: Mapped[str | None] = mapped_column(String(500), default=None)
    passed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Voided by an instructor (migration 0012): the row stays, and no longer counts anywhere.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    voided_by: Mapped[int | None] = mapped_column(Integer, default=None)  # users.id (no FK, as Run.owner_id)
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # The instructor's feedback (migration 0014): Markdown, always shown with HTML escaped.
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    feedback_by: Mapped[int | None] = mapped_column(Integer, default=None)

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


class AttemptLog(NeverReused, Base):
    """The audit log of what was done to an assignment's attempts, and why (migration 0012): an instructor
    voided one, or cancelled its queued run. Shown on the instructor's dashboard; never edited."""

    __tablename__ = "attempt_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(32))  # "voided"
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Extension(Base):
    """A student's own due date for an assignment (migration 0014): the late policy reads it instead."""

    __tablename__ = "extensions"

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime)


class Lesson(NeverReused, Base):
    """A published sequence of a class's assignments (LessonStep), e.g. "break it, then fix it"."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LessonStep(Base):
    __tablename__ = "lesson_steps"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)


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
