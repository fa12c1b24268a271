"""A class's roster and its students' accounts: import students from a CSV (new accounts get a one-time
set-password link), a password reset by the class's instructor (a link too), and the invite-only sign-up.

An instructor reaches only their own class's students: an import never adds an account that already exists
and is not in the class (joining it would show its owner's runs to the instructor; they join with the code
instead), and a reset is only for a student of the class.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.roster import parse_roster
from forgetlab.core.store import accounts, classes, invites
from forgetlab.core.store.models import Classroom, User


@dataclass(frozen=True)
class Imported:
    username: str
    outcome: str  # "created" | "already in the class" | "refused"
    link: str | None = None  # the one-time set-password link of a new account (shown once)
    why: str = ""


def link_url(base_url: str, secret: str) -> str:
    return base_url.rstrip("/") + f"/set-password/{secret}"


def import_roster(session: Session, *, room: Classroom, text: str, actor: User, base_url: str) -> list[Imported]:
    """Create a student account for each new username of the CSV, with its name and email, in the class,
    with a set-password link; one already in the class is left as it is; an existing account that is not
    is refused (it joins with the code). Invalid naming `csv` for a bad file (nothing is created then)."""
    members = {u.name for u in classes.roster(session, class_id=room.id)}
    out = []
    for student in parse_roster(text, accounts.check_name):
        if student.username in members:
            out.append(Imported(student.username, "already in the class"))
            continue
        if accounts.user_by_name(session, student.username) is not None or student.username == accounts.LOCAL_USER:
            out.append(Imported(student.username, "refused",
                                why="this name already has an account: they join with the class's code"))
            continue
        user = accounts.create_user(session, name=student.username, password=None, role="student")
        classes.set_profile(session, user_id=user.id, full_name=student.name, email=student.email)
        classes.join(session, class_id=room.id, user_id=user.id)
        secret = invites.create_link(session, user=user, created_by=actor.id)
        out.append(Imported(user.name, "created", link_url(base_url, secret)))
    return out


def reset_link(session: Session, *, room: Classroom, username: str, actor: User, base_url: str) -> str:
    """A one-time set-password link for a student of this class (their current password works until it is
    used); NotFound for anyone else."""
    student = next((u for u in classes.roster(session, class_id=room.id)
                    if u.name == (username or "").strip().lower() and u.role == "student"), None)
    if student is None:
        raise NotFound(f"{username!r} is not a student of this class", "student")
    return link_url(base_url, invites.create_link(session, user=student, created_by=actor.id))


def invited_class(session: Session, *, settings, code: str) -> Classroom | None:
    """The class a sign-up joins: the one its code opens. Invite-only (FORGETLAB_INVITE_ONLY): a sign-up needs
    one (Invalid naming `code`); otherwise a code is optional (a wrong one is still named)."""
    code = (code or "").strip()
    if not code:
        if settings.invite_only:
            raise Invalid("this lab is invite-only: sign up with your class's join code, or use the link your "
                          "instructor sent", "code")
        return None
    room = classes.class_by_code(session, code=code)
    if room is None:
        raise Invalid("no class has this join code; check it with your instructor", "code")
    return room
