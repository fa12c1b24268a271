"""Domain errors: what went wrong, in words, and which field. No HTTP here: app/errors.py maps
NotFound to 404, Forbidden to 403, Conflict to 409 and Invalid to 422, the CLI prints the message and exits 2."""

from __future__ import annotations


class DomainError(Exception):
    """Something the user asked for cannot be done; `message` is for the user, `field` names the input."""

    def __init__(self, message: str, field: str = "body"):
        super().__init__(message)
        self.message, self.field = message, field


class NotFound(DomainError):
    """The named run, sweep or tier does not exist."""


class Invalid(DomainError):
    """The input is well-formed but not acceptable (too few runs, a baseline that is not compared, ...)."""


class Forbidden(DomainError):
    """The user may see this but may not do it now (an attempt on an assignment past its due date)."""


class Conflict(DomainError):
    """The thing exists and the user may change it, but not this way, because of what it is (an attempt's run
    is a record: it is neither cancelled nor deleted)."""


# The engine's runtime errors: raised under worker/engine/ (which imports torch), defined here so that
# worker/jobs.py catches them by class without importing the engine.


class Cancelled(Exception):
    """Training stopped because the run was cancelled (its `should_cancel` said so) at `step`."""

    def __init__(self, step: int):
        super().__init__(f"cancelled at step {step}")
        self.step = step


class RuntimeUnavailable(RuntimeError):
    """The asked-for device is not there (a gpu-queue worker without a GPU); the message is for the user."""
