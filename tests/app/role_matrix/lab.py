"""The role matrix's roles, the codes each row expects of them, and the lab its rows make their objects in:
users ada (a student, who owns what the rows make), bob (another student), gus (a guest), teach (an instructor)
and root (an admin)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from forgetlab.core import external
from forgetlab.core.datasets import parse_jsonl
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import accounts, invites, runs, sweeps
from forgetlab.core.store import external as external_store
from forgetlab.core.store.datasets import create_dataset
from forgetlab.core.store.suites import create_suite
from forgetlab.core.suites import parse_suite
from tests.accounts import make_user

from ..conftest import finish


ROLES = ("anonymous", "guest", "student", "other", "instructor", "admin", "token", "revoked")
AUTH = "auth"  # 401 from the API, 303 to /login from a page
TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}
TINY_FORM = {k: str(v) for k, v in TINY.items()}
SUITE = "\n".join(f'{{"prompt": "q {i}", "reference": "a {i}", "scorer": "exact"}}' for i in range(4)).encode()


def expect(ok: int, *, guest=404, other=404, instructor=404, student=None, admin=None) -> dict[str, object]:
    """Codes by role: `ok` for the owner (browser and token); not signed in: AUTH; an admin as an instructor
    unless given."""
    return {"anonymous": AUTH, "guest": guest, "student": ok if student is None else student, "other": other,
            "instructor": instructor, "admin": instructor if admin is None else admin,
            "token": ok if student is None else student, "revoked": AUTH}


def anyone_signed_in(ok: int) -> dict:
    return expect(ok, guest=ok, other=ok, instructor=ok)


def members(ok: int) -> dict:
    return expect(ok, guest=403, other=ok, instructor=ok)


def instructors(ok: int) -> dict:
    return expect(403, guest=403, other=403, instructor=ok)


def admins(ok: int) -> dict:
    return expect(403, guest=403, other=403, instructor=403, admin=ok)


def public(ok: int) -> dict:
    return dict.fromkeys(ROLES, ok)


OWN = expect  # ada's object: she (and her token) may; nobody else sees it (no class links them yet)
SHARED_VIEW = anyone_signed_in  # ada's run, shared: everyone signed in sees it
SHARED_CHANGE = lambda ok: expect(ok, guest=403, other=403, instructor=403)


@dataclass
class Lab:
    client: TestClient
    sessions: object
    users: dict = field(default_factory=dict)

    def run(self, *, done=False, shared=False, owner="ada") -> int:
        with self.sessions() as session:
            owner_id = self.users[owner].id if owner else None
            run_id = runs.create_run(session, scenario=Scenario(**TINY), queue="cpu", owner_id=owner_id).id
            if shared:
                runs.set_shared(session, run_id=run_id, shared=True)
        if done:
            finish(self.sessions, run_id)
        return run_id

    def external_run(self, *, shared=False) -> int:
        """ada's external run, running: what a Trainer callback on her machine made with her token."""
        with self.sessions() as session:
            config = external.make_config(tier="smollm2", suites=["knowledge"], source="transformers.Trainer")
            run_id = external_store.create(session, owner_id=self.users["ada"].id, config=config).id
            if shared:
                runs.set_shared(session, run_id=run_id, shared=True)
        return run_id

    def sweep(self) -> int:
        with self.sessions() as session:
            sweep, _ = sweeps.create_sweep(session, spec={"base": TINY, "grid": {"seed": [0, 1]}},
                                           scenarios=[Scenario(**TINY, seed=s) for s in (0, 1)], queue="cpu",
                                           preset_of=lambda s: None, owner_id=self.users["ada"].id, reuse=False)
            return sweep.id

    def dataset(self) -> str:
        lines = "\n".join(f'{{"prompt": "q {i}", "response": "a {i}"}}' for i in range(30)).encode()
        with self.sessions() as session:
            return create_dataset(session, dataset=parse_jsonl(lines, "d"), owner_id=self.users["ada"].id)[0].id

    def suite(self) -> str:
        with self.sessions() as session:
            return create_suite(session, suite=parse_suite(SUITE, "mine"), owner_id=self.users["ada"].id)[0].id

    def token_id(self) -> int:
        with self.sessions() as session:
            return accounts.create_token(session, user=self.users["ada"], name="t")[0].id

    def link(self) -> str:
        """A fresh set-password link's secret, for a new user."""
        with self.sessions() as session:
            return invites.create_link(session, user=accounts.get_user(session, user_id=self.user_id()),
                                       created_by=None)

    def user_id(self) -> int:
        self.made = getattr(self, "made", 0) + 1
        return make_user(self.sessions, f"someone-{self.made}").id


@dataclass
class Case:
    method: str
    template: str  # the route's path, as app.routes names it
    request: Callable[[Lab], tuple[str, dict]]  # -> (concrete path, keyword arguments of the request)
    codes: dict  # role -> status (AUTH: 401 for the API, 303 for a page)


def get(path_of, **kw):
    return lambda lab: (path_of(lab) if callable(path_of) else path_of, kw)
