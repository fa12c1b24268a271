"""Runs as a viewer may see them: an attempt's hidden settings are left out for everyone but its class's
instructor (the student who made it included), in the API, the run and runs pages, comparisons and exports.

Hidden means hidden: the config hash goes too (hashing guesses would find the values), and so does anything
that tells which other run has the same settings ("repeat of", the reuse cache), and the metric points' scalars
that are settings rather than measurements (SETTING_SCALARS)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgetlab.core.store import access
from forgetlab.core.store.models import Run, User

HIDDEN_HASH = "hidden"
# A metric point's scalars that read back settings: the step's learning rate, and the epoch (its rise per step is
# the batch's task rows over task_examples, its last value the epochs). A masked run's points go without them.
SETTING_SCALARS = frozenset({"lr", "epoch"})
# The run's info that reads back settings: the parameter counts give the method and the LoRA rank, the saved
# model's kind the method (and the model itself every setting: app/api/gate.py), a group only LoRA runs join.
SETTING_INFO = frozenset({"parameters", "trainable", "model", "group"})


class MaskedRun:
    """A run without its hidden settings; every other attribute is the run's (read-only use: never added to a
    session, so nothing masked is ever written back)."""

    def __init__(self, run: Run, hidden: list[str]):
        self._run = run
        self.hidden = hidden
        self.config = {k: v for k, v in run.config.items() if k not in hidden}
        self.config_hash = HIDDEN_HASH
        self.info = {k: v for k, v in (run.info or {}).items() if k not in SETTING_INFO} or None

    def __getattr__(self, name: str):
        return getattr(self._run, name)


def shown(session: Session, user: User | None, found: list[Run]) -> list[Run | MaskedRun]:
    """The runs as `user` may see them, in the same order."""
    hidden = access.hidden_fields(session, user, [r.id for r in found])
    return [MaskedRun(r, hidden[r.id]) if r.id in hidden else r for r in found]


def shown_run(session: Session, user: User | None, run: Run) -> Run | MaskedRun:
    return shown(session, user, [run])[0]


def is_masked(run) -> bool:
    return isinstance(run, MaskedRun)


def point_values(run, values: dict) -> dict:
    """A metric point's values as the viewer of `run` (as shown()) may see them."""
    return {k: v for k, v in values.items() if k not in SETTING_SCALARS} if is_masked(run) else values
