"""HTML pages for classes: my classes (/classes), one class (/classes/{id}: the instructor's dashboard or
the student's list), joining (/join, /join/{code}), the new-assignment form, lessons (/lessons).
Thin over app/services/ and core/store/classes.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import CurrentUser, InstructorUser, MemberUser
from forgetlab.app.deps import ClassDep, LessonDep, SessionDep, TaughtClassDep
from forgetlab.app.http import FormDep, public_base
from forgetlab.app.services import assignments, attempts, roster
from forgetlab.app.services import classes as class_service
from forgetlab.core.errors import DomainError, NotFound
from forgetlab.core.lessons import STARTER
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import classes

from . import markup  # noqa: F401 (registers the markdown filter)
from .assignment_form import FORM_DEFAULTS, form_context, posted_values, spec_from_form
from .render import page

router = APIRouter(include_in_schema=False)


@router.get("/classes")
def classes_page(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: the classes I teach (instructor: and a form to create one) or have joined."""
    return page(request, "classes.html", {"taught": classes.classes_taught(session, user_id=user.id),
                                          "joined": classes.classes_joined(session, user_id=user.id),
                                          "user": user})


@router.post("/classes")
def create_class_form(request: Request, session: SessionDep, user: InstructorUser, form: FormDep):
    """Instructor only: create a class, then show it with its join code."""
    try:
        room = class_service.create_class(session, name=str(form.get("name", "")), instructor=user)
    except DomainError as e:
        context = {"taught": classes.classes_taught(session, user_id=user.id), "joined": [], "user": user,
                   "error": e.message}
        return page(request, "classes.html", context, status_code=422)
    return RedirectResponse(f"/classes/{room.id}", status_code=303)


def _class_context(request: Request, session, room, user) -> dict:
    taught = room.instructor_id == user.id
    assignments = classes.assignments_of(session, class_id=room.id)
    rows = []
    for assignment in assignments:
        mine, _ = attempts.as_seen(session, assignment=assignment, viewer=user, rows=attempts.attempt_rows(
            session, assignment=assignment, user_id=None if taught else user.id))
        rows.append({"a": assignment, "attempts": len(mine), "passed": sum(1 for a, _, _ in mine if a.passed),
                     "active": sum(1 for _, r, _ in mine if not r.terminal)})
    return {"room": room, "taught": taught, "rows": rows, "user": user,
            "roster": classes.roster(session, class_id=room.id) if taught else [],
            "join_url": class_service.join_url(base_url=public_base(request), room=room) if taught else None,
            "lessons": classes.lessons_of(session, class_id=room.id, published_only=not taught),
            "queued": len(classes.queued_class_runs(session, class_id=room.id)) if taught else 0,
            "notice": request.query_params.get("notice")}


@router.get("/classes/{class_id}")
def class_page(request: Request, session: SessionDep, user: CurrentUser, room: ClassDep):
    """Its instructor (join code, roster, assignments with attempts and passes, lessons, cancel queued runs)
    and its students (assignments with their own attempts, published lessons)."""
    return page(request, "class.html", _class_context(request, session, room, user))


@router.post("/classes/{class_id}/cancel-queued")
def cancel_queued_form(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only: every queued attempt run of the class is cancelled at once."""
    count = class_service.cancel_queued(session, state=request.app.state, room=room, actor=user)
    return RedirectResponse(f"/classes/{room.id}?notice=Cancelled+{count}+queued+run{'s' if count != 1 else ''}",
                            status_code=303)


@router.post("/classes/{class_id}/roster")
def roster_form(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep, form: FormDep):
    """The class's instructor only: import students from a CSV (pasted or uploaded); the new accounts'
    set-password links are shown once, on the page this answers with."""
    upload = form.get("file")
    text = upload.file.read().decode("utf-8", "replace") if upload is not None and not isinstance(upload, str) \
        else ""
    text = text or str(form.get("csv", ""))
    try:
        done = roster.import_roster(session, room=room, text=text, actor=user, base_url=public_base(request))
    except DomainError as e:
        context = {**_class_context(request, session, room, user), "roster_error": e.message, "roster_csv": text}
        return page(request, "class.html", context, status_code=422)
    return page(request, "class.html", {**_class_context(request, session, room, user), "imported": done})


@router.post("/classes/{class_id}/students/{username}/reset")
def reset_form(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep, username: str):
    """The class's instructor only, for a student of the class: a one-time set-password link, shown once."""
    link = roster.reset_link(session, room=room, username=username, actor=user, base_url=public_base(request))
    return page(request, "class.html", {**_class_context(request, session, room, user),
                                        "reset": {"username": username, "link": link}})


@router.post("/classes/{class_id}/lessons/starter")
def starter_lesson_form(session: SessionDep, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only: add the presets' lesson (its assignments and the lesson, published)."""
    lesson = class_service.add_starter_lesson(session, room=room)
    return RedirectResponse(f"/lessons/{lesson.id}", status_code=303)


@router.post("/classes/{class_id}/lessons")
def lesson_form(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep, form: FormDep):
    """The class's instructor only: publish the ticked assignments, in the class's order, as a lesson."""
    ids = [int(v) for v in form.getlist("assignment_ids") if isinstance(v, str) and v.isdigit()]
    try:
        lesson = class_service.make_lesson(session, room=room, title=str(form.get("title", "")), assignment_ids=ids,
                                      description=str(form.get("description", "")))
    except DomainError as e:
        context = {**_class_context(request, session, room, user), "lesson_error": f"{e.field}: {e.message}"}
        return page(request, "class.html", context, status_code=422)
    return RedirectResponse(f"/lessons/{lesson.id}", status_code=303)


@router.post("/classes/{class_id}/edit")
def rename_class_form(request: Request, session: SessionDep, user: InstructorUser,
                      room: TaughtClassDep, form: FormDep):
    """The class's instructor only: rename the class (the join code stays)."""
    try:
        class_service.rename_class(session, room=room, name=str(form.get("name", "")))
    except DomainError as e:
        context = {**_class_context(request, session, room, user), "rename_error": e.message}
        return page(request, "class.html", context, status_code=422)
    return RedirectResponse(f"/classes/{room.id}?notice=Renamed", status_code=303)


@router.post("/classes/{class_id}/delete")
def delete_class_form(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only: delete the class, its assignments, attempts' rows and lessons (the runs
    stay their students'; queued ones are cancelled)."""
    class_service.delete_class(session, state=request.app.state, room=room)
    return RedirectResponse("/classes", status_code=303)


# --- joining -----------------------------------------------------------------------------------------------------
@router.get("/join")
def join_page(request: Request, user: CurrentUser, code: str = ""):
    """Anyone signed in sees the form; joining takes a student or instructor account."""
    return page(request, "join.html", {"code": code, "room": None, "user": user})


@router.get("/join/{code}")
def join_link(request: Request, session: SessionDep, user: CurrentUser, code: str):
    """Anyone signed in: the join link shows which class the code opens, and a button to join it."""
    room = classes.class_by_code(session, code=code)
    error = None if room else "No class has this join code; check it with your instructor."
    return page(request, "join.html", {"code": code, "room": room, "user": user, "error": error},
                status_code=200 if room else 404)


@router.post("/join")
def join_form(request: Request, session: SessionDep, user: MemberUser, form: FormDep):
    """Students (and instructors) join a class with its code; then its page opens."""
    code = str(form.get("code", ""))
    try:
        room = class_service.join(session, code=code, user=user)
    except NotFound:
        return page(request, "join.html", {"code": code, "room": None, "user": user,
                                           "error": "No class has this join code; check it with your instructor."},
                    status_code=422)
    return RedirectResponse(f"/classes/{room.id}", status_code=303)


# --- new assignment ------------------------------------------------------------------------------------------------

@router.get("/classes/{class_id}/assignments/new")
def new_assignment_page(request: Request, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only: the assignment form (template, goal, budgets, due date, instructions)."""
    return page(request, "assignment_form.html", form_context(room, dict(FORM_DEFAULTS), {}))


@router.post("/classes/{class_id}/assignments")
def create_assignment_form(request: Request, session: SessionDep, user: InstructorUser,
                           room: TaughtClassDep, form: FormDep):
    """The class's instructor only: 422 with every bad part named beside its field, else the assignment."""
    values = posted_values(form)
    try:
        assignment = assignments.build_assignment(session, room=room, spec=spec_from_form(values))
    except ScenarioError as e:
        return page(request, "assignment_form.html", form_context(room, values, e.errors), status_code=422)
    return RedirectResponse(f"/assignments/{assignment.id}", status_code=303)


# --- lessons -------------------------------------------------------------------------------------------------------
@router.get("/lessons")
def lessons_page(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: the starter lesson (built from the presets) and the lessons of my classes."""
    mine = []
    for room in classes.classes_taught(session, user_id=user.id):
        mine += [(room, x) for x in classes.lessons_of(session, class_id=room.id)]
    for room in classes.classes_joined(session, user_id=user.id):
        mine += [(room, x) for x in classes.lessons_of(session, class_id=room.id, published_only=True)]
    return page(request, "lessons.html", {"starter": STARTER, "mine": mine, "user": user})


@router.get("/lessons/{lesson_id}")
def lesson_page(request: Request, session: SessionDep, user: CurrentUser, lesson: LessonDep):
    """The class's instructor, and its students once published: the steps in order, with my progress."""
    steps = []
    for assignment in classes.lesson_assignments(session, lesson_id=lesson.id):
        mine, _ = attempts.as_seen(session, assignment=assignment, viewer=user,
                                   rows=attempts.attempt_rows(session, assignment=assignment, user_id=user.id))
        steps.append({"a": assignment, "attempts": len(mine), "passed": any(a.passed for a, _, _ in mine)})
    return page(request, "lesson.html", {"lesson": lesson, "steps": steps, "user": user,
                                         "room": classes.get_class(session, class_id=lesson.class_id)})
