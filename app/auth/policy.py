"""Who may call a route, declared on the route itself: every route names exactly one policy.

    @router.get("/thing")
    def thing(user: CurrentUser): ...                       # anyone signed in, guests included
    @router.post("/thing")
    def make(user: MemberUser): ...                         # students and instructors
    @router.post("/admin/thing", dependencies=[require(ADMIN)])
    @router.get("/login", dependencies=[PUBLIC])            # no sign-in needed

A policy is a dependency whose function carries `.policy` (a Policy), so the role-matrix test
(tests/app/test_role_matrix.py) finds it on every route and fails for a route that has none.
What an object-level dependency adds (RunDep: the run must be visible; ManagedRunDep: the user
must manage it) lives in app/deps.py, over core/store/access.py.

Signed in but not allowed: 403. Not signed in: 401 from the API; a page redirects to /login.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from forgetlab.core.store.models import ROLES, User

from .identity import Unauthorized, identify

INSTRUCTOR, STUDENT, GUEST, ADMIN = ROLES


@dataclass(frozen=True)
class Policy:
    name: str
    roles: frozenset[str] | None  # None: anyone, signed in or not


def _checker(policy: Policy):
    def check(request: Request) -> User | None:
        # Its own short session, not the route's: app/deps.py builds on these policies, so they cannot use it.
        if policy.roles is None:  # public: a bad token is no reason to refuse the log-in page or health
            try:
                with request.app.state.sessions() as session:
                    return identify(request, session).user
            except Unauthorized:
                return None
        with request.app.state.sessions() as session:
            user = identify(request, session).user
        if user is None:
            raise Unauthorized()
        if user.role not in policy.roles:
            raise HTTPException(403, f"only {' or '.join(sorted(policy.roles))} accounts may do this "
                                     f"(you are signed in as {user.name}, a {user.role})")
        return user

    check.policy = policy
    check.__name__ = f"policy_{policy.name.replace('-', '_')}"
    return check


@lru_cache
def _policy_dependency(roles: frozenset[str] | None, name: str):
    return _checker(Policy(name, roles))


def require(*roles: str):
    """A policy: only these roles (401 when not signed in, 403 for another role)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")
    key = frozenset(roles)
    name = {frozenset(ROLES): "signed-in", frozenset({INSTRUCTOR, STUDENT, ADMIN}): "member",
            frozenset({INSTRUCTOR, ADMIN}): "instructor"}.get(key, "+".join(sorted(key)))
    return Depends(_policy_dependency(key, name))


PUBLIC = Depends(_policy_dependency(None, "public"))  # login, sign-up, health: no sign-in needed

OptionalUser = Annotated[User | None, PUBLIC]
CurrentUser = Annotated[User, require(*ROLES)]  # anyone signed in, guests included
MemberUser = Annotated[User, require(INSTRUCTOR, STUDENT, ADMIN)]  # may start runs, sweeps, uploads
InstructorUser = Annotated[User, require(INSTRUCTOR, ADMIN)]  # may teach classes (an admin may too)
AdminUser = Annotated[User, require(ADMIN)]  # manages accounts and roles


def policy_of(call) -> Policy | None:
    return getattr(call, "policy", None)


def current_user(request: Request, session: Session) -> User | None:
    """The request's user outside a route's parameters (e.g. a helper given the request and a session)."""
    return identify(request, session).user
