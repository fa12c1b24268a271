"""Tables, one module per part of the lab: runs.py (runs, their metric points, sample outputs, saved-model files and
sweeps), datasets.py (users' datasets and suites), accounts.py (users, profiles, set-password links, browser
sessions, API tokens), classes.py (classes, assignments, attempts, lessons) and asks.py (questions to a run's
model), on base.py's declarative base. Importing the package registers every table on Base.metadata (Alembic's
env and the migration tests compare it with the migrations), and names each table here, where the store imports
it from.

The database is the source of truth for everything a page shows; the live channel only says
"something new is there". Timestamps are naive UTC, compared the same way on SQLite and PostgreSQL.
"""

from .base import Base, NeverReused, utcnow
from .runs import STATUSES, TERMINAL, MetricPoint, Run, RunArtifact, SampleSet, Sweep, SweepRun
from .datasets import DatasetContent, StoredDataset, StoredSuite  # noqa: I001  (the tables' order, as before)
from .accounts import ROLES, TEACHERS, ApiToken, PasswordLink, Profile, User, UserSession
from .classes import (Assignment, AssignmentAttempt, AttemptLog, Classroom, Extension, Lesson, LessonStep,
                      Membership)
from .asks import Ask

__all__ = ["STATUSES", "TERMINAL", "ROLES", "TEACHERS", "Base", "NeverReused", "utcnow", "Run", "MetricPoint",
           "SampleSet", "Sweep", "RunArtifact", "SweepRun", "DatasetContent", "StoredDataset", "StoredSuite",
           "User", "Profile", "PasswordLink", "UserSession", "ApiToken", "Classroom", "Membership", "Assignment",
           "AssignmentAttempt", "AttemptLog", "Extension", "Lesson", "LessonStep", "Ask"]
