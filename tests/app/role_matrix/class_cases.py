"""The role matrix's rows for classes, assignments, attempts and lessons."""

from __future__ import annotations

from datetime import timedelta

from forgetlab.core.assignments import make_template
from forgetlab.core.store import classes
from forgetlab.core.store.models import utcnow

from .lab import TINY, Case, anyone_signed_in, expect, get, instructors, members


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
