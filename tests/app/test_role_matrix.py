"""The role matrix: every route of the app has a declared policy, and every route answers every role as designed.

1. `test_every_route_declares_a_policy` walks app.routes: each FastAPI route must carry a policy dependency
   (app/auth/policy.py: CurrentUser, MemberUser, InstructorUser, OptionalUser, require(...), PUBLIC, or an
   object dependency built on them such as RunDep); the few that are not FastAPI routes must be listed in
   app.auth.UNGUARDED. A new route without a policy fails here.
2. `test_every_route_is_in_the_matrix`: each (method, path) must have a row in CASES below (or, for now, in
   LATER). A new route without a row fails here: add one.
3. `test_the_matrix` sends each row's request as each role, in a lab with log-in on, and checks the status.

Roles: anonymous; guest; student (ada, who owns the objects the rows make); other (bob, another student);
instructor (teach, who has no class with ada: classes add that link); admin (root: an instructor's powers
plus the user admin, and no class of its own); token (ada's API token, no cookie); revoked (a revoked
token of ada). Only admins manage accounts and roles. Browsers (anonymous to instructor) hold a session cookie and the CSRF
token, as the lab's own pages do: the CSRF guard is tested in test_auth.py, this is about who may do what.

Not signed in: the API answers 401 and a page redirects to /login (303): "AUTH" below. An object the
role may not see is a 404, like an unknown id; one it sees but may not change, a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from forgetlab.app.auth import UNGUARDED, policy_of
from forgetlab.core.assignments import make_template
from forgetlab.core import external
from forgetlab.core.datasets import parse_jsonl
from forgetlab.core.scenario import Scenario
from forgetlab.core.settings import Settings
from forgetlab.core.store import accounts, classes, invites, runs, sweeps
from forgetlab.core.store import external as external_store
from forgetlab.core.store.datasets import create_dataset
from forgetlab.core.store.suites import create_suite
from forgetlab.core.suites import parse_suite
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.store.models import utcnow
from tests.accounts import bearer, login, make_user, same_site

from .conftest import finish

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


CASES = [
    # --- the JSON API ---
    Case("POST", "/api/runs", get("/api/runs", json=TINY), members(201)),
    Case("GET", "/api/runs", get("/api/runs"), anyone_signed_in(200)),
    Case("POST", "/api/external-runs", get("/api/external-runs", json={"source": "forgetlab.watch"}), members(201)),
    Case("POST", "/api/external-runs/{run_id}/points",
         get(lambda lab: f"/api/external-runs/{lab.external_run()}/points",
             json={"step": 0, "values": {"cap.knowledge.accuracy": 0.5}}), OWN(204)),
    Case("POST", "/api/external-runs/{run_id}/points",
         get(lambda lab: f"/api/external-runs/{lab.external_run(shared=True)}/points",
             json={"step": 0, "values": {"cap.knowledge.accuracy": 0.5}}), SHARED_CHANGE(204)),
    Case("POST", "/api/external-runs/{run_id}/end",
         get(lambda lab: f"/api/external-runs/{lab.external_run()}/end", json={"status": "failed"}), OWN(200)),
    Case("POST", "/api/runs/cancel-queued", get("/api/runs/cancel-queued"), members(200)),
    Case("GET", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{lab.run()}"), OWN(200)),
    Case("GET", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{lab.run(shared=True)}"), SHARED_VIEW(200)),
    Case("GET", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{lab.run(owner=None)}"),
         expect(404, instructor=200, student=404)),  # made before accounts: instructors see it
    Case("GET", "/api/runs/{run_id}/metrics", get(lambda lab: f"/api/runs/{lab.run(done=True)}/metrics"), OWN(200)),
    Case("GET", "/api/runs/{run_id}/samples", get(lambda lab: f"/api/runs/{lab.run()}/samples"), OWN(200)),
    Case("GET", "/api/runs/{run_id}/events", get(lambda lab: f"/api/runs/{lab.run(done=True)}/events"), OWN(200)),
    Case("GET", "/api/runs/{run_id}/model", get(lambda lab: f"/api/runs/{lab.run(done=True)}/model"), OWN(404)),
    Case("POST", "/api/runs/{run_id}/cancel", get(lambda lab: f"/api/runs/{lab.run()}/cancel"), OWN(200)),
    Case("POST", "/api/runs/{run_id}/cancel", get(lambda lab: f"/api/runs/{lab.run(shared=True)}/cancel"),
         SHARED_CHANGE(200)),
    Case("POST", "/api/runs/{run_id}/cancel", get(lambda lab: f"/api/runs/{lab.run(owner=None)}/cancel"),
         expect(404, instructor=200, student=404)),
    Case("POST", "/api/runs/{run_id}/share", get(lambda lab: f"/api/runs/{lab.run()}/share", json={"shared": True}),
         OWN(200)),
    Case("PATCH", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{lab.run()}", json={"name": "mine"}), OWN(200)),
    Case("DELETE", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{lab.run(done=True)}"), OWN(204)),
    Case("DELETE", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{lab.run(done=True, shared=True)}"),
         SHARED_CHANGE(204)),
    Case("POST", "/api/runs/{run_id}/asks", get(lambda lab: f"/api/runs/{lab.run(done=True)}/asks",
                                                json={"prompt": "what is 2 + 2"}), OWN(202)),
    Case("POST", "/api/runs/{run_id}/asks", get(lambda lab: f"/api/runs/{lab.run(done=True, shared=True)}/asks",
                                                json={"prompt": "what is 2 + 2"}),
         expect(202, guest=403, other=202, instructor=202)),  # a guest reads a shared run's answers, never asks
    Case("GET", "/api/runs/{run_id}/asks", get(lambda lab: f"/api/runs/{lab.run(done=True)}/asks"), OWN(200)),
    Case("POST", "/api/sweeps", get("/api/sweeps", json={"base": TINY, "grid": {"seed": [0, 1]}}), members(201)),
    Case("GET", "/api/sweeps", get("/api/sweeps"), anyone_signed_in(200)),
    Case("GET", "/api/sweeps/{sweep_id}", get(lambda lab: f"/api/sweeps/{lab.sweep()}"), OWN(200)),
    Case("POST", "/api/sweeps/{sweep_id}/cancel", get(lambda lab: f"/api/sweeps/{lab.sweep()}/cancel"), OWN(200)),
    Case("GET", "/api/compare", get(lambda lab: f"/api/compare?runs={lab.run(done=True)},{lab.run(done=True)}"),
         OWN(200)),
    Case("GET", "/api/export/{table}.{fmt}",
         get(lambda lab: f"/api/export/summary.csv?runs={lab.run(done=True)}"), OWN(200)),
    Case("GET", "/api/gate", get(lambda lab: f"/api/gate?candidate={lab.run(done=True)}"),
         OWN(422)),  # visible, but these test runs kept no per-probe results: 422 says so; hidden: 404
    Case("GET", "/api/presets", get("/api/presets"), anyone_signed_in(200)),
    Case("GET", "/api/scenario", get("/api/scenario"), anyone_signed_in(200)),
    Case("GET", "/api/tiers", get("/api/tiers"), anyone_signed_in(200)),
    Case("POST", "/api/datasets", get("/api/datasets", files={"file": ("d.jsonl", b'{"prompt": "a", "response": "b"}\n')}),
         members(422)),  # allowed, and the 30-pair minimum answers 422
    Case("GET", "/api/datasets", get("/api/datasets"), anyone_signed_in(200)),
    Case("GET", "/api/datasets/{dataset_id}", get(lambda lab: f"/api/datasets/{lab.dataset()}"), OWN(200)),
    Case("POST", "/api/suites", get("/api/suites", files={"file": ("s.jsonl", b'{"prompt": "a"}\n')}),
         members(422)),  # allowed, and the line without a scorer answers 422
    Case("GET", "/api/suites", get("/api/suites"), anyone_signed_in(200)),
    Case("GET", "/api/suites/{suite_id}", get(lambda lab: f"/api/suites/{lab.suite()}"), OWN(200)),
    Case("GET", "/api/health", get("/api/health"), public(200)),
    Case("GET", "/api/me", get("/api/me"), anyone_signed_in(200)),
    # --- pages ---
    Case("GET", "/", get("/"), anyone_signed_in(200)),
    Case("POST", "/runs", get("/runs", data=TINY_FORM), members(303)),
    Case("POST", "/datasets", get("/datasets", files={"file": ("d.jsonl", b"not json\n")}), members(422)),
    Case("GET", "/suites", get("/suites"), anyone_signed_in(200)),
    Case("POST", "/suites", get("/suites", files={"file": ("s.jsonl", b"not json\n")}), members(422)),
    Case("GET", "/runs", get("/runs"), anyone_signed_in(200)),
    Case("GET", "/runs/{run_id}", get(lambda lab: f"/runs/{lab.run()}"), OWN(200)),
    Case("GET", "/runs/{run_id}", get(lambda lab: f"/runs/{lab.run(done=True, shared=True)}"), SHARED_VIEW(200)),
    Case("POST", "/runs/{run_id}/cancel", get(lambda lab: f"/runs/{lab.run()}/cancel"), OWN(303)),
    Case("GET", "/runs/{run_id}/asks", get(lambda lab: f"/runs/{lab.run(done=True)}/asks"), OWN(200)),
    Case("POST", "/runs/{run_id}/asks", get(lambda lab: f"/runs/{lab.run(done=True)}/asks", data={"prompt": "hi"}),
         OWN(303)),
    Case("POST", "/runs/{run_id}/share", get(lambda lab: f"/runs/{lab.run()}/share", data={"shared": "true"}), OWN(303)),
    Case("POST", "/runs/{run_id}/labels", get(lambda lab: f"/runs/{lab.run()}/labels", data={"name": "x"}), OWN(303)),
    Case("POST", "/runs/{run_id}/delete", get(lambda lab: f"/runs/{lab.run(done=True)}/delete"), OWN(303)),
    Case("POST", "/runs/{run_id}/delete", get(lambda lab: f"/runs/{lab.run(done=True, shared=True)}/delete"),
         SHARED_CHANGE(303)),
    Case("POST", "/sweeps", get("/sweeps", data={**TINY_FORM, "sweep_field": "seed", "sweep_values": "0, 1"}),
         members(303)),
    Case("GET", "/sweeps", get("/sweeps"), anyone_signed_in(200)),
    Case("GET", "/sweeps/{sweep_id}", get(lambda lab: f"/sweeps/{lab.sweep()}"), OWN(200)),
    Case("POST", "/sweeps/{sweep_id}/cancel", get(lambda lab: f"/sweeps/{lab.sweep()}/cancel"), OWN(303)),
    Case("GET", "/compare", get(lambda lab: f"/compare?runs={lab.run(done=True)},{lab.run(done=True)}"), OWN(200)),
    Case("GET", "/gate", get(lambda lab: f"/gate?candidate={lab.run(done=True)}"), OWN(422)),
    Case("GET", "/login", get("/login"), public(200)),
    # A set-password link is its own key: anyone holding it (a spent or unknown one is a 404 to everyone).
    Case("GET", "/set-password/{secret}", lambda lab: (f"/set-password/{lab.link()}", {}), public(200)),
    Case("POST", "/set-password/{secret}", get("/set-password/pl_unknown", data={"password": "a long password"}),
         public(404)),
    Case("POST", "/login", get("/login", data={"name": "nobody", "password": "wrong password"}), public(401)),
    Case("GET", "/signup", get("/signup"), public(200)),
    Case("POST", "/signup", get("/signup", data={"name": "x", "password": "short"}), public(422)),
    Case("POST", "/logout", get("/logout"), public(303)),
    Case("GET", "/account", get("/account"), anyone_signed_in(200)),
    Case("POST", "/account/password", get("/account/password", data={"current": "wrong password", "new": "x"}),
         anyone_signed_in(422)),
    Case("POST", "/account/tokens", get("/account/tokens", data={"name": "matrix"}), anyone_signed_in(201)),
    Case("POST", "/account/tokens/{token_id}/revoke",
         get(lambda lab: f"/account/tokens/{lab.token_id()}/revoke"), OWN(303)),  # ada's token: only ada
    # Accounts and roles: admins only (an instructor with no relation to an account cannot touch it).
    Case("GET", "/admin/users", get("/admin/users"), admins(200)),
    Case("POST", "/admin/users", get("/admin/users", data={"name": "x", "password": "short", "role": "student"}),
         admins(422)),
    Case("POST", "/admin/users/{user_id}", get(lambda lab: f"/admin/users/{lab.user_id()}", data={"role": "guest"}),
         admins(303)),
    Case("POST", "/admin/users/{user_id}",
         get(lambda lab: f"/admin/users/{lab.user_id()}", data={"role": "instructor"}), admins(303)),
    Case("POST", "/admin/users/{user_id}", get(lambda lab: f"/admin/users/{lab.user_id()}", data={"disabled": "true"}),
         admins(303)),
]

# Routes of the classes and assignments have their rows in CLASS_CASES below.
LATER: set = set()


# --- classes and assignments: a class taught by `teach` that ada has joined; bob and
# gus are in no class. Each row makes its own class, so joining or budgets never leak between rows.
def _class(lab) -> tuple[int, str]:
    with lab.sessions() as session:
        room = classes.create_class(session, name="matrix", instructor_id=lab.users["teach"].id)
        classes.join(session, class_id=room.id, user_id=lab.users["ada"].id)
        return room.id, room.join_code


def _assignment(lab, class_id: int | None = None) -> int:
    class_id = class_id or _class(lab)[0]
    with lab.sessions() as session:
        template = make_template(base=TINY, locked=["lr"]).model_dump(mode="json")
        return classes.create_assignment(session, class_id=class_id, title="a", template=template,
                                         goal="task >= 0").id


def _split_assignment(lab) -> int:
    """An assignment of teach's class with a held-out split, due tomorrow: its final leaderboard is not open yet."""
    assignment = _assignment(lab)
    with lab.sessions() as session:
        classes.update_assignment(session, assignment_id=assignment, private_share=0.5, private_salt="matrix",
                                  due_at=utcnow() + timedelta(days=1))
    return assignment


def _attempt(lab, *, done: bool = False) -> tuple[int, int, int]:
    """(assignment, attempt, run) of an attempt of ada's at a new assignment of teach's class."""
    assignment = _assignment(lab)
    run = lab.run(done=done)
    with lab.sessions() as session:
        row = classes.create_attempt(session, assignment_id=assignment, user_id=lab.users["ada"].id, run_id=run)
        return assignment, row.id, run


def _void(lab, prefix: str):
    assignment, attempt, _ = _attempt(lab)
    body = {"json": {"reason": "matrix"}} if prefix else {"data": {"reason": "matrix"}}
    return f"{prefix}/assignments/{assignment}/attempts/{attempt}/void", body


def _feedback(lab, prefix: str):
    assignment, attempt, _ = _attempt(lab)
    body = {"json": {"feedback": "**good**"}} if prefix else {"data": {"feedback": "**good**"}}
    return f"{prefix}/assignments/{assignment}/attempts/{attempt}/feedback", body


def _extension(lab, prefix: str):
    body = {"student": "ada", "due_at": "2030-01-01T00:00:00"}
    return f"{prefix}/assignments/{_assignment(lab)}/extensions", {"json": body} if prefix else {"data": body}


def _lesson(lab) -> int:
    with lab.sessions() as session:
        room = _class(lab)[0]
        return classes.create_lesson(session, class_id=room, title="l", assignment_ids=[_assignment(lab, room)],
                                     published=True).id


def _lesson_request(lab, prefix: str):
    room = _class(lab)[0]
    body = {"title": "l", "assignment_ids": [_assignment(lab, room)]}
    return (f"{prefix}/classes/{room}/lessons",
            {"json": body} if prefix else {"data": {**body, "assignment_ids": str(body["assignment_ids"][0])}})


IN_CLASS = lambda ok: expect(ok, guest=404, other=404, instructor=ok)
ASSIGNMENT_FORM = {"title": "t", "goal": "task >= 0", "settings": "task_examples=50\nepochs=1\neval_every=2"}

CLASS_CASES = [
    Case("POST", "/api/classes", get("/api/classes", json={"name": "c"}), instructors(201)),
    Case("GET", "/api/classes", get("/api/classes"), anyone_signed_in(200)),
    Case("POST", "/api/classes/join", lambda lab: ("/api/classes/join", {"json": {"code": _class(lab)[1]}}),
         members(200)),
    Case("GET", "/api/classes/{class_id}", get(lambda lab: f"/api/classes/{_class(lab)[0]}"), IN_CLASS(200)),
    Case("POST", "/api/classes/{class_id}/assignments",
         lambda lab: (f"/api/classes/{_class(lab)[0]}/assignments",
                      {"json": {"title": "t", "settings": TINY, "goal": "task >= 0"}}), instructors(201)),
    Case("POST", "/api/classes/{class_id}/cancel-queued",
         get(lambda lab: f"/api/classes/{_class(lab)[0]}/cancel-queued"), instructors(200)),
    Case("POST", "/api/classes/{class_id}/lessons", lambda lab: _lesson_request(lab, "/api"), instructors(201)),
    Case("POST", "/api/classes/{class_id}/roster",
         lambda lab: (f"/api/classes/{_class(lab)[0]}/roster", {"json": {"csv": f"new{lab.user_id()}x,N,\n"}}),
         instructors(200)),
    Case("POST", "/api/classes/{class_id}/students/{username}/reset",
         get(lambda lab: f"/api/classes/{_class(lab)[0]}/students/ada/reset"), instructors(200)),
    Case("POST", "/api/classes/{class_id}/lessons/starter",
         get(lambda lab: f"/api/classes/{_class(lab)[0]}/lessons/starter"), instructors(201)),
    Case("GET", "/api/lessons/{lesson_id}", get(lambda lab: f"/api/lessons/{_lesson(lab)}"), IN_CLASS(200)),
    Case("GET", "/api/assignments/{assignment_id}", get(lambda lab: f"/api/assignments/{_assignment(lab)}"),
         IN_CLASS(200)),
    Case("POST", "/api/assignments/{assignment_id}/attempts",
         get(lambda lab: f"/api/assignments/{_assignment(lab)}/attempts", json={}),
         expect(201, guest=403, other=404, instructor=201)),
    Case("POST", "/api/assignments/{assignment_id}/attempts",
         get(lambda lab: f"/api/assignments/{_assignment(lab)}/attempts", json={"lr": 0.01}),
         expect(422, guest=403, other=404, instructor=422)),  # the locked field: refused for everyone
    Case("GET", "/api/assignments/{assignment_id}/attempts",
         get(lambda lab: f"/api/assignments/{_assignment(lab)}/attempts"), IN_CLASS(200)),
    Case("GET", "/api/assignments/{assignment_id}/leaderboard",
         get(lambda lab: f"/api/assignments/{_assignment(lab)}/leaderboard"), IN_CLASS(200)),
    Case("GET", "/api/assignments/{assignment_id}/leaderboard",
         get(lambda lab: f"/api/assignments/{_split_assignment(lab)}/leaderboard?view=final"),
         expect(403, guest=404, other=404, instructor=200)),
    Case("POST", "/api/assignments/{assignment_id}/attempts/{attempt_id}/void", lambda lab: _void(lab, "/api"),
         instructors(200)),
    Case("POST", "/api/assignments/{assignment_id}/attempts/{attempt_id}/feedback",
         lambda lab: _feedback(lab, "/api"), instructors(200)),
    Case("POST", "/api/assignments/{assignment_id}/extensions", lambda lab: _extension(lab, "/api"),
         instructors(200)),
    # An attempt's run is a record: nobody who may manage it deletes or cancels it (409); others do not see it.
    Case("DELETE", "/api/runs/{run_id}", get(lambda lab: f"/api/runs/{_attempt(lab, done=True)[2]}"),
         IN_CLASS(409)),
    Case("POST", "/api/runs/{run_id}/cancel", get(lambda lab: f"/api/runs/{_attempt(lab)[2]}/cancel"),
         IN_CLASS(409)),
    Case("POST", "/runs/{run_id}/delete", get(lambda lab: f"/runs/{_attempt(lab, done=True)[2]}/delete"),
         IN_CLASS(409)),
    Case("POST", "/runs/{run_id}/cancel", get(lambda lab: f"/runs/{_attempt(lab)[2]}/cancel"), IN_CLASS(409)),
    Case("GET", "/api/assignments/{assignment_id}/grades.csv",
         get(lambda lab: f"/api/assignments/{_assignment(lab)}/grades.csv"), instructors(200)),
    Case("GET", "/classes", get("/classes"), anyone_signed_in(200)),
    Case("POST", "/classes", get("/classes", data={"name": "c"}), instructors(303)),
    Case("GET", "/classes/{class_id}", get(lambda lab: f"/classes/{_class(lab)[0]}"), IN_CLASS(200)),
    Case("POST", "/classes/{class_id}/cancel-queued", get(lambda lab: f"/classes/{_class(lab)[0]}/cancel-queued"),
         instructors(303)),
    Case("POST", "/classes/{class_id}/lessons/starter",
         get(lambda lab: f"/classes/{_class(lab)[0]}/lessons/starter"), instructors(303)),
    Case("POST", "/classes/{class_id}/lessons", lambda lab: _lesson_request(lab, ""), instructors(303)),
    Case("POST", "/classes/{class_id}/roster",
         lambda lab: (f"/classes/{_class(lab)[0]}/roster", {"data": {"csv": f"new{lab.user_id()}y,N,\n"}}),
         instructors(200)),
    Case("POST", "/classes/{class_id}/students/{username}/reset",
         get(lambda lab: f"/classes/{_class(lab)[0]}/students/ada/reset"), instructors(200)),
    Case("GET", "/join", get("/join"), anyone_signed_in(200)),
    Case("GET", "/join/{code}", get(lambda lab: f"/join/{_class(lab)[1]}"), anyone_signed_in(200)),
    Case("POST", "/join", lambda lab: ("/join", {"data": {"code": _class(lab)[1]}}), members(303)),
    Case("GET", "/classes/{class_id}/assignments/new",
         get(lambda lab: f"/classes/{_class(lab)[0]}/assignments/new"), instructors(200)),
    Case("POST", "/classes/{class_id}/assignments",
         get(lambda lab: f"/classes/{_class(lab)[0]}/assignments", data=ASSIGNMENT_FORM), instructors(303)),
    Case("GET", "/lessons", get("/lessons"), anyone_signed_in(200)),
    Case("GET", "/lessons/{lesson_id}", get(lambda lab: f"/lessons/{_lesson(lab)}"), IN_CLASS(200)),
    Case("GET", "/assignments/{assignment_id}", get(lambda lab: f"/assignments/{_assignment(lab)}"), IN_CLASS(200)),
    Case("POST", "/assignments/{assignment_id}/attempts",
         get(lambda lab: f"/assignments/{_assignment(lab)}/attempts", data={}),
         expect(303, guest=403, other=404, instructor=303)),
    Case("GET", "/assignments/{assignment_id}/leaderboard",
         get(lambda lab: f"/assignments/{_assignment(lab)}/leaderboard"), IN_CLASS(200)),
    # The held-out split's final leaderboard before the due date: the instructor (and admins) only.
    Case("GET", "/assignments/{assignment_id}/leaderboard",
         get(lambda lab: f"/assignments/{_split_assignment(lab)}/leaderboard?view=final"),
         expect(403, guest=404, other=404, instructor=200)),
    Case("POST", "/assignments/{assignment_id}/attempts/{attempt_id}/void", lambda lab: _void(lab, ""),
         instructors(303)),
    Case("POST", "/assignments/{assignment_id}/attempts/{attempt_id}/feedback", lambda lab: _feedback(lab, ""),
         instructors(303)),
    Case("POST", "/assignments/{assignment_id}/extensions", lambda lab: _extension(lab, ""), instructors(303)),
    Case("GET", "/assignments/{assignment_id}/dashboard",
         get(lambda lab: f"/assignments/{_assignment(lab)}/dashboard"), instructors(200)),
    # Editing and deleting: the class's instructor only (another instructor: 404, tests/app/test_class_admin.py).
    Case("PATCH", "/api/classes/{class_id}", get(lambda lab: f"/api/classes/{_class(lab)[0]}", json={"name": "r"}),
         instructors(200)),
    Case("DELETE", "/api/classes/{class_id}", get(lambda lab: f"/api/classes/{_class(lab)[0]}"), instructors(200)),
    Case("PUT", "/api/assignments/{assignment_id}",
         get(lambda lab: f"/api/assignments/{_assignment(lab)}",
             json={"title": "t2", "settings": TINY, "locked": ["lr"], "goal": "task >= 0"}), instructors(200)),
    Case("DELETE", "/api/assignments/{assignment_id}", get(lambda lab: f"/api/assignments/{_assignment(lab)}"),
         instructors(200)),
    Case("POST", "/classes/{class_id}/edit", get(lambda lab: f"/classes/{_class(lab)[0]}/edit", data={"name": "r"}),
         instructors(303)),
    Case("POST", "/classes/{class_id}/delete", get(lambda lab: f"/classes/{_class(lab)[0]}/delete"),
         instructors(303)),
    Case("GET", "/assignments/{assignment_id}/edit", get(lambda lab: f"/assignments/{_assignment(lab)}/edit"),
         instructors(200)),
    Case("POST", "/assignments/{assignment_id}/edit",
         get(lambda lab: f"/assignments/{_assignment(lab)}/edit", data=ASSIGNMENT_FORM), instructors(303)),
    Case("POST", "/assignments/{assignment_id}/delete", get(lambda lab: f"/assignments/{_assignment(lab)}/delete"),
         instructors(303)),
]
# The admin teaches no class here: whatever names a class, an assignment, a lesson or one of their runs is a
# 404 to it, as to any instructor who does not teach it.
for _case in CLASS_CASES:
    if "{" in _case.template and _case.template != "/join/{code}":
        _case.codes = {**_case.codes, "admin": 404}
CASES += CLASS_CASES


def _app(tmp_path):
    from forgetlab.app.main import create_app

    # Rate limits, log-in and sign-up brakes and run quotas off: the matrix sends hundreds of requests from one
    # client in seconds (the brakes have their own tests: tests/app/test_throttles.py).
    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0, login_rate=0, signup_per_hour=0, max_active_runs=0,
                        max_active_runs_per_address=0)
    migrate(settings.sqlalchemy_url)
    return create_app(settings), session_factory(settings.sqlalchemy_url)


def _routes(app):
    """(method, path, route context) of every route: app.routes, with included routers flattened."""
    for route in routing.iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in sorted(route.methods):
                yield method, route.path, route
        else:
            yield None, route.path, route


def _policies(dependant) -> list:
    found = [policy_of(dependant.call)] if dependant.call is not None and policy_of(dependant.call) else []
    for sub in dependant.dependencies:
        found += _policies(sub)
    return found


def test_every_route_declares_a_policy(tmp_path):
    app, _ = _app(tmp_path)
    missing = []
    for method, path, route in _routes(app):
        if path in UNGUARDED:
            continue
        if method is None or not _policies(route.dependant):
            missing.append(f"{method or '*'} {path}")
    assert not missing, "routes without a policy (app/auth/policy.py):\n" + "\n".join(missing)


def test_every_route_is_in_the_matrix(tmp_path):
    app, _ = _app(tmp_path)
    covered = {(c.method, c.template) for c in CASES} | LATER
    missing = [f"{m} {p}" for m, p, _ in _routes(app) if m and p not in UNGUARDED and (m, p) not in covered]
    assert not missing, "routes with no row in tests/app/test_role_matrix.py CASES:\n" + "\n".join(missing)
    stale = [f"{m} {p}" for m, p in covered - {(m, p) for m, p, _ in _routes(app)}]
    assert not stale, "rows for routes that no longer exist:\n" + "\n".join(stale)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    app, sessions = _app(tmp_path_factory.mktemp("matrix"))
    with TestClient(app) as client:
        lab = Lab(client, sessions)
        for name, role in (("ada", "student"), ("bob", "student"), ("gus", "guest"), ("teach", "instructor"),
                           ("root", "admin")):
            lab.users[name] = make_user(sessions, name, role=role)
        browsers = {"anonymous": same_site(TestClient(app))}
        for role, name in (("guest", "gus"), ("student", "ada"), ("other", "bob"), ("instructor", "teach"),
                           ("admin", "root")):
            browsers[role] = TestClient(app)
            login(browsers[role], name)
        browsers["token"] = TestClient(app, headers=bearer(sessions, lab.users["ada"]))
        revoked = bearer(sessions, lab.users["ada"], name="revoked")
        with sessions() as session:
            row = accounts.list_tokens(session, user=lab.users["ada"])[0]
            accounts.revoke_token(session, user=lab.users["ada"], token_id=row.id)
        browsers["revoked"] = TestClient(app, headers=revoked)
        lab.browsers = browsers
        yield lab


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.template}")
def test_the_matrix(lab, case):
    wrong = []
    for role in ROLES:
        path, kwargs = case.request(lab)
        client = lab.browsers[role]
        if case.template == "/logout" and role not in ("token", "revoked"):
            client = same_site(TestClient(client.app))  # log out a fresh browser, not the matrix's own
            if role != "anonymous":
                login(client, {"guest": "gus", "student": "ada", "other": "bob", "instructor": "teach",
                               "admin": "root"}[role])
        response = client.request(case.method, path, follow_redirects=False, **kwargs)
        want = case.codes[role]
        if want == AUTH:
            want = 401 if path.startswith("/api/") else 303
            if want == 303 and not response.headers.get("location", "").startswith("/login"):
                want = "303 to /login"
        if response.status_code != want:
            wrong.append(f"{role}: {response.status_code} (want {want}) {response.text[:120]!r}")
    assert not wrong, f"{case.method} {case.template}:\n" + "\n".join(wrong)
