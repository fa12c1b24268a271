"""Classes: create (instructor), list mine, read one, join by code (student), add assignments and lessons,
cancel a class's queued runs, rename or delete a class (instructor). Actions live in app/services/classes.py
and assignments.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from forgetlab.app.auth import CurrentUser, InstructorUser, MemberUser
from forgetlab.app.deps import ClassDep, LessonDep, SessionDep, TaughtClassDep
from forgetlab.app.http import invalid, public_base
from forgetlab.app.services import assignments, roster
from forgetlab.app.services import classes as class_service
from forgetlab.core.scenario import ScenarioError
from forgetlab.core.store import classes

from .schemas import ScenarioFields

router = APIRouter(tags=["classes"])
ERRORS = {404: {"description": "Unknown class, or not one of yours"},
          403: {"description": "Only the class's instructor may do this"}}


class ClassIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class JoinIn(BaseModel):
    code: str = Field(min_length=4, max_length=32, description="The join code the instructor gave")


class AssignmentIn(BaseModel):
    """An assignment: a scenario template (a preset and/or settings, with locked, hidden and narrowed
    fields), a goal in the goal language (docs/instructors.md, "The goal language"), budgets and a due date."""

    title: str = Field(min_length=1, max_length=200)
    instructions: str = Field("", max_length=20_000, description="Markdown; HTML in it is shown as text")
    preset: str | None = Field(None, description="Start from this preset's scenario")
    settings: ScenarioFields = Field(default_factory=dict, description="Scenario fields set on top of the preset's "
                                     "(or the defaults); any other key is refused, by name")
    locked: list[str] = Field(default_factory=list, description="Shown, but students cannot change them")
    hidden: list[str] = Field(default_factory=list, description="Not shown; students cannot change them")
    ranges: dict[str, dict] = Field(default_factory=dict,
                                    description='Per field {"min": a, "max": b} or {"choices": [...]}')
    goal: str = Field(max_length=500, examples=["task >= 0.9 and all(drop) <= 0.10"])
    score: str = Field("mean(retention)", max_length=200, description="What the leaderboard ranks by")
    higher_is_better: bool = True
    qualify: str | None = Field(None, max_length=500, description="Only attempts meeting this are ranked")
    attempt_budget: int | None = Field(None, ge=1, le=1000, description="Attempts per student")
    run_budget: int | None = Field(None, ge=1, le=100_000, description="Runs of all students together")
    due_at: datetime | None = Field(None, description="UTC; attempts after it are refused")
    show_names: bool = Field(False, description="Students see each other's names on the leaderboard")
    points: dict[str, float] | None = Field(None, description="Points per clause, e.g. {\"task >= 0.9\": 60}; "
                                                               "none: 100 for a pass, else 0")
    late_policy: Literal["hard", "penalty", "none"] = Field(
        "hard", description="hard: refused after the due date; penalty: late_penalty percent off per day late; "
                            "none: accepted, flagged late")
    late_penalty: float | None = Field(None, gt=0, le=100, description="Percent off per day late (penalty policy)")
    private_percent: float | None = Field(None, ge=0, le=99, description=(
        "The held-out split: the percent of every capability's and the task's probes kept private (goals, grades "
        "and the final leaderboard judge them; students see only the rest). None or 0: no split"))


class LessonIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    assignment_ids: list[int] = Field(min_length=1, max_length=50, description="In the order students take them")
    published: bool = True


def class_out(request: Request, session, room, *, taught: bool) -> dict:
    out = {"id": room.id, "name": room.name, "url": f"/classes/{room.id}", "teaching": taught,
           "assignments": [{"id": a.id, "title": a.title, "url": f"/assignments/{a.id}"}
                           for a in classes.assignments_of(session, class_id=room.id)],
           "lessons": [{"id": x.id, "title": x.title, "published": x.published, "url": f"/lessons/{x.id}"}
                       for x in classes.lessons_of(session, class_id=room.id, published_only=not taught)]}
    if taught:
        out.update(join_code=room.join_code, join_url=class_service.join_url(base_url=public_base(request), room=room),
                   roster=[u.name for u in classes.roster(session, class_id=room.id)])
    return out


@router.post("/classes", status_code=201, summary="Create a class (instructor): its join code and link")
def create_class(request: Request, session: SessionDep, user: InstructorUser, body: ClassIn):
    """Instructor only."""
    room = class_service.create_class(session, name=body.name, instructor=user)
    return class_out(request, session, room, taught=True)


@router.get("/classes", summary="The classes I teach or have joined")
def list_classes(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: an instructor's taught classes and a student's joined ones (a guest has none)."""
    taught = classes.classes_taught(session, user_id=user.id)
    joined = classes.classes_joined(session, user_id=user.id)
    return {"teaching": [class_out(request, session, c, taught=True) for c in taught],
            "joined": [class_out(request, session, c, taught=False) for c in joined]}


@router.post("/classes/join", summary="Join a class with its code (student)")
def join_class(request: Request, session: SessionDep, user: MemberUser, body: JoinIn):
    """Students and instructors (an instructor may join another's class to see it as a student)."""
    room = class_service.join(session, code=body.code, user=user)  # NotFound: 404 naming the code
    return class_out(request, session, room, taught=room.instructor_id == user.id)


@router.get("/classes/{class_id}", responses=ERRORS, summary="One class: assignments, lessons (roster: instructor)")
def get_class(request: Request, session: SessionDep, user: CurrentUser, room: ClassDep):
    """Its instructor and its students; anyone else gets 404."""
    return class_out(request, session, room, taught=room.instructor_id == user.id)


@router.patch("/classes/{class_id}", responses=ERRORS, summary="Rename a class (instructor)")
def rename_class(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep,
                 body: ClassIn):
    """The class's instructor only (its students 403, anyone else 404). The join code stays."""
    room = class_service.rename_class(session, room=room, name=body.name)
    return class_out(request, session, room, taught=True)


@router.delete("/classes/{class_id}", responses=ERRORS,
               summary="Delete a class: memberships, assignments, attempts and lessons (instructor)")
def delete_class(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only. Its queued attempt runs are cancelled; every run stays its student's."""
    class_id = room.id
    return {"deleted": class_id, "cancelled": class_service.delete_class(session, state=request.app.state, room=room)}


@router.post("/classes/{class_id}/assignments", status_code=201, responses=ERRORS,
             summary="Add an assignment (instructor)")
def create_assignment(session: SessionDep, user: InstructorUser, room: TaughtClassDep,
                      body: Annotated[AssignmentIn, Body()]):
    """The class's instructor only. 422 names each bad part (settings: FIELD, locked, ranges, goal, ...)."""
    try:
        row = assignments.build_assignment(session, room=room, spec=body.model_dump())
    except ScenarioError as e:
        return invalid(e.errors, "invalid assignment")
    return {"id": row.id, "url": f"/assignments/{row.id}"}


@router.post("/classes/{class_id}/cancel-queued", responses=ERRORS,
             summary="Cancel every queued run of the class's attempts (instructor)")
def cancel_queued(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only. Each attempt whose run this cancels is voided (the student did not spend it),
    logged in its assignment's audit log."""
    return {"cancelled": class_service.cancel_queued(session, state=request.app.state, room=room, actor=user)}


class RosterIn(BaseModel):
    csv: str = Field(min_length=1, max_length=200_000, description="username,name,email a line (header optional)")


@router.post("/classes/{class_id}/roster", responses=ERRORS,
             summary="Import students from a CSV (instructor): new accounts with one-time set-password links")
def import_roster(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep, body: RosterIn):
    """The class's instructor only. Each new username becomes a student account in the class with its name and
    email, and a set-password link (shown only here); one already in the class is left as it is; an existing
    account not in the class is refused (it joins with the code). A bad file: 422 naming each bad line."""
    done = roster.import_roster(session, room=room, text=body.csv, actor=user, base_url=public_base(request))
    return {"students": [{"username": d.username, "outcome": d.outcome, "set_password_link": d.link,
                          "why": d.why} for d in done]}


@router.post("/classes/{class_id}/students/{username}/reset", responses=ERRORS,
             summary="A one-time set-password link for a student of the class (instructor)")
def reset_password(request: Request, session: SessionDep, user: InstructorUser, room: TaughtClassDep,
                   username: str):
    """The class's instructor only, for a student of the class (anyone else: 404). Their password works until
    the link is used; the link works once, for 7 days, and a newer one replaces it."""
    link = roster.reset_link(session, room=room, username=username, actor=user, base_url=public_base(request))
    return {"username": username.strip().lower(), "set_password_link": link}


@router.post("/classes/{class_id}/lessons", status_code=201, responses=ERRORS,
             summary="Publish a sequence of the class's assignments as a lesson (instructor)")
def create_lesson(session: SessionDep, user: InstructorUser, room: TaughtClassDep, body: LessonIn):
    """The class's instructor only."""
    lesson = class_service.make_lesson(session, room=room, title=body.title, description=body.description,
                                  assignment_ids=body.assignment_ids, published=body.published)
    return {"id": lesson.id, "url": f"/lessons/{lesson.id}"}


@router.post("/classes/{class_id}/lessons/starter", status_code=201, responses=ERRORS,
             summary="Add the shipped presets' lesson to the class (instructor)")
def add_starter(session: SessionDep, user: InstructorUser, room: TaughtClassDep):
    """The class's instructor only: creates the lesson's assignments in the class and publishes it."""
    lesson = class_service.add_starter_lesson(session, room=room)
    return {"id": lesson.id, "url": f"/lessons/{lesson.id}"}


@router.get("/lessons/{lesson_id}", summary="A lesson: its assignments in order")
def get_lesson(session: SessionDep, user: CurrentUser, lesson: LessonDep):
    """The class's instructor, and its students once the lesson is published."""
    steps = classes.lesson_assignments(session, lesson_id=lesson.id)
    return {"id": lesson.id, "title": lesson.title, "description": lesson.description,
            "published": lesson.published, "steps": [{"id": a.id, "title": a.title, "goal": a.goal,
                                                      "url": f"/assignments/{a.id}"} for a in steps]}
