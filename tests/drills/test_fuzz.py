"""Fuzzing from the OpenAPI document (schemathesis), bounded: every API operation gets generated valid and
invalid requests against the embedded lab (SQLite, the local instructor, no worker), and every answer must
be a documented status with a body that matches its schema, and an undeclared method a 405 whose Allow lists
the path's methods; a schema-valid request is accepted (except where CROSS_FIELD says why not); no 500, ever.
The lab holds a class with an assignment and a lesson, and a sweep of two runs, and most drawn class, assignment,
lesson, run and sweep ids are swapped for ones that exist (PARENTS), so the routes under them (adding an
assignment, a lesson, a roster; labelling, sharing or asking a run) run past their 404 on drawn bodies;
test_the_fuzz_reached_real_parents checks that they did.
The page routes, which the document does not describe, are fuzzed with
Hypothesis below (test_form_routes_never_answer_a_server_error). Rate limits are off here (they
have their own tests), or most requests would be a 429. Runs in about two minutes on 2 cores (docs/reliability.md).
"""

from __future__ import annotations

import os
import re
import tempfile
import zlib
from collections import Counter

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.store.models import Assignment, Classroom, Lesson, Run, Sweep

EXAMPLES = int(os.environ.get("FORGETLAB_FUZZ_EXAMPLES", "40"))  # per operation and phase
# The event stream of a queued run never ends while no worker runs it: its ids and cursors are tested
# in tests/app/middleware/test_limits.py. The CSV/JSON export answers text/csv as documented, no JSON schema to check.
SKIP = ("/api/runs/{run_id}/events",)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance, checks.unsupported_method,
          checks.allow_header_conformance]
# Every schema-valid request must be accepted (ST202), except on these operations, where the code refuses some
# for a reason the OpenAPI document cannot state: one field's range depends on another's value, or on a file's
# content. Each says so in its description; their other checks all apply.
CROSS_FIELD = {
    ("POST", "/api/runs"): "base_seed's range depends on the tier (how many bases it ships)",
    ("POST", "/api/sweeps"): "the grid's keys must be fields of the base scenario",
    ("GET", "/api/compare"): "runs or sweep, not both",
    ("GET", "/api/export/{table}.{fmt}"): "runs or sweep, not both",
    ("POST", "/api/runs/cancel-queued"): "runs are run ids, sent as strings",
    ("POST", "/api/external-runs"): "suites depend on the tier",
    ("POST", "/api/datasets"): "the file must be UTF-8 JSONL pairs",
    ("POST", "/api/suites"): "the file must be UTF-8 JSONL items, each passing its own scorer",
    ("POST", "/api/classes/{class_id}/assignments"): "goal, score, qualify and points are goal-language text; "
                                                     "ranges, locked and hidden name scenario fields",
    ("PUT", "/api/assignments/{assignment_id}"): "the whole assignment again, as when adding one",
    ("POST", "/api/assignments/{assignment_id}/attempts"): "the fields set must keep the assignment's locked and "
                                                           "hidden fields and its ranges",
    ("POST", "/api/classes/{class_id}/roster"): "the csv's lines must hold valid user names and emails",
    ("POST", "/api/classes/{class_id}/lessons"): "assignment_ids must be the class's own assignments",
    ("POST", "/api/assignments/{assignment_id}/attempts/{attempt_id}/void"): "an attempt is voided once",
    ("DELETE", "/api/runs/{run_id}"): "a queued or running run is cancelled before it is deleted",
    ("PATCH", "/api/runs/{run_id}"): "each tag, lowercased and stripped, is 1 to 30 of a-z 0-9 _ . : -",
    ("POST", "/api/runs/{run_id}/asks"): "a run's model is asked once the run has succeeded",
    ("POST", "/api/external-runs/{run_id}/points"): "only an external run takes points",
    ("POST", "/api/external-runs/{run_id}/end"): "only an external run is ended through the API",
}
SENT = {"requests": 0, "server_errors": 0}
ANSWERS: Counter = Counter()  # (method, path, status) of every request sent


def _app():
    data = tempfile.mkdtemp(prefix="forgetlab-fuzz-")
    lab = Settings(data_dir=data, workers=0, database_url=None, redis_url=None, rate_limit=0, read_rate_limit=0)
    migrate(lab.sqlalchemy_url)
    from forgetlab.app.main import create_app

    return create_app(lab), session_factory(lab.sqlalchemy_url)


APP, SESSIONS = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path=list(SKIP))

# Drawn ids almost never name a stored row, so without this every route under a class, an assignment, a lesson, a
# run or a sweep would answer 404 before reading its body. Three in four drawn ids (chosen by the drawn value's checksum, so a
# run repeats) become the id of a stored one; the rest stay as drawn (unknown ids, non-digits). The fuzz deletes
# and recreates them, so the ids are looked up at each request, and the lab seeded again once none is left.
PARENTS = {"class_id": Classroom, "assignment_id": Assignment, "lesson_id": Lesson, "run_id": Run, "sweep_id": Sweep}


def _seed() -> None:
    """A class of the local instructor's with an assignment and a lesson of it, and a sweep of two queued runs
    (the API, as a user would; no worker runs them)."""
    from fastapi.testclient import TestClient

    client = TestClient(APP)
    room = client.post("/api/classes", json={"name": "fuzz"}).json()
    made = client.post(f"/api/classes/{room['id']}/assignments", json={
        "title": "a", "settings": {"task_examples": 50, "epochs": 1}, "goal": "task >= 0"})
    assert made.status_code == 201, made.text
    lesson = client.post(f"/api/classes/{room['id']}/lessons",
                         json={"title": "l", "assignment_ids": [made.json()["id"]]})
    assert lesson.status_code == 201, lesson.text
    sweep = client.post("/api/sweeps", json={"base": {"task_examples": 50, "epochs": 1}, "grid": {"seed": [0, 1]}})
    assert sweep.status_code == 201, sweep.text


def _stored_id(model, drawn) -> int:
    with SESSIONS() as session:
        ids = session.query(model.id).order_by(model.id).all()
    if not ids:
        _seed()
        return _stored_id(model, drawn)
    return ids[zlib.crc32(repr(drawn).encode()) % len(ids)][0]


def _with_real_parents(case) -> None:
    for name, model in PARENTS.items():
        drawn = (case.path_parameters or {}).get(name)
        if drawn is not None and zlib.crc32(repr(drawn).encode()) % 4:
            case.path_parameters[name] = str(_stored_id(model, drawn))


_seed()


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"fuzz: {SENT['requests']} requests, {SENT['server_errors']} server errors; "
                            f"form routes: {FORM_SENT['requests']} requests; adding an assignment: "
                            + ", ".join(f"{n} x {status}" for (m, p, status), n in sorted(ANSWERS.items())
                                        if p == "/api/classes/{class_id}/assignments"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented_and_none_is_a_server_error(case):
    _with_real_parents(case)
    response = case.call()
    SENT["requests"] += 1
    ANSWERS[case.operation.method.upper(), case.operation.path, response.status_code] += 1
    SENT["server_errors"] += response.status_code >= 500
    cross_field = (case.operation.method.upper(), case.operation.path) in CROSS_FIELD
    case.validate_response(response, checks=CHECKS if cross_field else [*CHECKS, checks.positive_data_acceptance])


def test_the_fuzz_reached_real_parents():
    """The routes under a class, an assignment or a lesson got past their 404: adding an assignment was both
    accepted (a drawn body that core took) and refused for a named bad part (422), and each parent route answered
    something other than 404 at least once."""
    if not SENT["requests"]:
        pytest.skip("the fuzz above did not run (deselected)")
    create = {status: n for (method, path, status), n in ANSWERS.items()
              if (method, path) == ("POST", "/api/classes/{class_id}/assignments")}
    assert create.get(201) and create.get(422), create
    params = {path: set(re.findall(r"\{(\w+)\}", path)) for _, path, _ in ANSWERS}
    under = {(method, path) for method, path, _ in ANSWERS if params[path] and params[path] <= set(PARENTS)}
    not_found_only = sorted(op for op in under
                            if all(status == 404 for (m, p, status) in ANSWERS if (m, p) == op))
    assert not not_found_only, not_found_only


# --- the form routes: pages are not in the OpenAPI document, so Hypothesis draws their requests ------------
# Every page route (GET and POST) gets paths with drawn ids (known objects, past every column, not digits at
# all) and forms with the field names the templates send, holding drawn text: numbers past any range, deep
# brackets (goals, conditions and dataset lines recurse), control characters. A signed-in instructor and a
# student send them to a public lab; no answer may be a server error. Under half a minute on 2 cores.
from pathlib import Path  # noqa: E402
from urllib.parse import quote  # noqa: E402

from fastapi import routing  # noqa: E402
from fastapi.routing import APIRoute  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.accounts import login, make_user  # noqa: E402

FORM_EXAMPLES = int(os.environ.get("FORGETLAB_FORM_FUZZ_EXAMPLES", "12"))  # per route
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NOT_FUZZED = {("POST", "/logout")}  # it ends the fuzzing browser's own session; tests/app covers it
FIELD_NAMES = sorted(set(re.findall(r'name="([a-z_]+)"', "".join(p.read_text() for p in TEMPLATES.glob("*.html"))))
                     | {"task", "goal", "qualify", "settings", "locked", "hidden", "parent", "runs", "sweep"})
ODD = ["", "0", "-1", "1e309", "nan", "2147483648", "9223372036854775808", "99999999999999999999", "²", "true",
       "[" * 600, "(" * 600, "task >= " + "(" * 400, '{"prompt": ' * 300, "\x00", "data:0123456789abcdef", "1,2,3"]
IDS = st.one_of(st.sampled_from(["1", "2", "3", "2147483647", "2147483648", "9223372036854775808", "0", "-1",
                                 "²", "abc", "1.5"]), st.text(min_size=1, max_size=12))
VALUES = st.one_of(st.sampled_from(ODD), st.text(max_size=40), st.integers(-10**12, 10**12).map(str))
FORMS = st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=8)


def _form_lab():
    """A public lab with an instructor's class, assignment and lesson and a student's run: ids 1-3 exist."""
    data = tempfile.mkdtemp(prefix="forgetlab-formfuzz-")
    lab = Settings(data_dir=data, workers=0, database_url=None, redis_url=None, public=True, rate_limit=0,
                   read_rate_limit=0, login_rate=0, signup_per_hour=0, max_active_runs=0,
                   max_active_runs_per_address=0)
    migrate(lab.sqlalchemy_url)
    from forgetlab.app.main import create_app
    from forgetlab.core.store.db import session_factory

    app = create_app(lab)
    sessions = session_factory(lab.sqlalchemy_url)
    make_user(sessions, "teach", role="instructor")
    make_user(sessions, "ada")
    clients = {}
    for name in ("teach", "ada"):
        clients[name] = TestClient(app, raise_server_exceptions=False)
        login(clients[name], name)
    room = clients["teach"].post("/api/classes", json={"name": "fuzz"}).json()
    clients["ada"].post("/api/classes/join", json={"code": room["join_code"]})
    clients["teach"].post(f"/api/classes/{room['id']}/assignments", json={
        "title": "a", "settings": {"task_examples": 50, "epochs": 1}, "goal": "task >= 0"})
    clients["teach"].post(f"/classes/{room['id']}/lessons/starter")
    clients["ada"].post("/api/runs", json={"task_examples": 50, "epochs": 1})
    return app, clients


FORM_APP, FORM_CLIENTS = _form_lab()
PAGE_ROUTES = [(method, route.path) for route in routing.iter_route_contexts(FORM_APP.routes)
               if isinstance(route.original_route, APIRoute) and not route.path.startswith(("/api/", "/docs", "/redoc"))
               for method in sorted(route.methods) if (method, route.path) not in NOT_FUZZED]
FORM_SENT = {"requests": 0, "server_errors": []}


@pytest.mark.parametrize(("method", "template"), PAGE_ROUTES, ids=[f"{m} {p}" for m, p in PAGE_ROUTES])
@settings(max_examples=FORM_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(who=st.sampled_from(["teach", "ada"]), ids=st.lists(IDS, min_size=3, max_size=3), form=FORMS,
       upload=st.binary(max_size=300), htmx=st.sampled_from([None, "", "dataset-result", "run-header", "asks"]))
def test_form_routes_never_answer_a_server_error(method, template, who, ids, form, upload, htmx):
    path = re.sub(r"\{[a-z_]+\}", lambda _, it=iter(ids): quote(next(it), safe=""), template)
    client = FORM_CLIENTS[who]
    headers = {"HX-Request": "true", "HX-Target": htmx} if htmx is not None else {}
    if method == "GET":
        response = client.get(path, params=form, headers=headers, follow_redirects=False)
    elif template == "/datasets":
        response = client.post(path, files={"file": ("d.jsonl", upload)}, data=form, headers=headers,
                               follow_redirects=False)
    else:
        response = client.post(path, data=form, headers=headers, follow_redirects=False)
    FORM_SENT["requests"] += 1
    assert response.status_code < 500, f"{method} {path} {form!r}: {response.status_code} {response.text[:300]}"
