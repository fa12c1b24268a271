"""Account pages: log in, sign up, log out, your account (password, API tokens), and the admins' user admin.

Who may use each is its policy (app/auth/policy.py), named in its docstring. Forms post back to the
same path; a bad field re-renders the form with the field named and a 4xx status, never a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import PUBLIC, AdminUser, CurrentUser, csrf, set_session_cookie
from forgetlab.app.auth.identity import SESSION_COOKIE, identify
from forgetlab.app.deps import SessionDep
from forgetlab.app.middleware.limits import request_address
from forgetlab.app.middleware.throttles import Throttled
from forgetlab.app.services import roster
from forgetlab.core.errors import DomainError
from forgetlab.core.ids import parse_id
from forgetlab.core.store import accounts, classes
from forgetlab.core.store.models import ROLES

from .render import page

router = APIRouter(include_in_schema=False)


def _next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never //elsewhere or a full URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _signed_in(request: Request, session, user, target: str) -> RedirectResponse:
    """Start a browser session for `user`, with a fresh CSRF token (no token survives a change of user)."""
    secret = accounts.start_session(session, user=user, days=request.app.state.settings.session_days)
    response = RedirectResponse(_next(target), status_code=303)
    set_session_cookie(request, response, secret, days=request.app.state.settings.session_days)
    csrf.rotate(request)
    return response


@router.get("/login", dependencies=[PUBLIC])
def login_page(request: Request, next: str = "/"):
    """Anyone."""
    return page(request, "login.html", {"next": _next(next), "signup": request.app.state.settings.signup != "off"})


def _throttled(request: Request, template: str, context: dict, error: Throttled):
    """429 with Retry-After: the form again, saying how long to wait."""
    context = {**context, "error": f"{error.reason}: try again in {error.retry_after} s."}
    response = page(request, template, context, status_code=429)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@router.post("/login", dependencies=[PUBLIC])
def login(request: Request, session: SessionDep, name: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    """Anyone: a right name and password start a session; a wrong one is a 401 with the form again. Too many
    tries (app/middleware/throttles.py): 429 with Retry-After, before the password is checked."""
    context = {"next": _next(next), "name": name, "signup": request.app.state.settings.signup != "off"}
    throttle, account, where = request.app.state.throttles.login, name.strip().lower()[:64], request_address(request)
    try:
        throttle.check(account, where)
    except Throttled as e:
        return _throttled(request, "login.html", context, e)
    user = accounts.authenticate(session, name=name, password=password)
    if user is None:
        throttle.failed(account, where)
        context["error"] = "That name and password do not match an active account."
        return page(request, "login.html", context, status_code=401)
    throttle.succeeded(account, where)
    return _signed_in(request, session, user, next)


@router.get("/signup", dependencies=[PUBLIC])
def signup_page(request: Request):
    """Anyone, unless sign-up is off (FORGETLAB_SIGNUP=off): then a 404 saying so."""
    role = request.app.state.settings.signup
    if role == "off":
        raise HTTPException(404, "sign-up is off on this lab: ask an instructor for an account")
    return page(request, "signup.html", {"role": role, "invite_only": request.app.state.settings.invite_only,
                                         "code": request.query_params.get("code", "")})


@router.post("/signup", dependencies=[PUBLIC])
def signup(request: Request, session: SessionDep, name: Annotated[str, Form()] = "",
           password: Annotated[str, Form()] = "", code: Annotated[str, Form()] = ""):
    """Anyone, unless sign-up is off: a new account with the lab's sign-up role (student unless set), signed in,
    in the class whose join code it gives (invite-only, FORGETLAB_INVITE_ONLY: the code is required).
    Too many new accounts from one address (app/middleware/throttles.py): 429 with Retry-After."""
    settings = request.app.state.settings
    role = settings.signup
    if role == "off":
        raise HTTPException(404, "sign-up is off on this lab: ask an instructor for an account")
    try:
        accounts.check_name(name)  # a mistyped form costs no allowance
        request.app.state.throttles.signup(request_address(request))
    except Throttled as e:
        return _throttled(request, "signup.html", {"role": role, "name": name, "invite_only": settings.invite_only,
                                                   "code": code}, e)
    except DomainError:
        pass  # create_user names the field below
    try:
        room = roster.invited_class(session, settings=settings, code=code)
        user = accounts.create_user(session, name=name, password=password, role=role)
    except DomainError as e:
        return page(request, "signup.html", {"role": role, "name": name, "errors": {e.field: e.message},
                                             "invite_only": settings.invite_only, "code": code}, status_code=422)
    if room is not None and user.role != "guest":  # a guest looks, and joins no class
        classes.join(session, class_id=room.id, user_id=user.id)
        return _signed_in(request, session, user, f"/classes/{room.id}")
    return _signed_in(request, session, user, "/")


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request):
    """Anyone: ends this browser's session (if any) and goes to the log-in page."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with request.app.state.sessions() as session:
            accounts.end_session(session, secret)
    request.state.clear_session = True
    csrf.rotate(request)
    return RedirectResponse("/login" if request.app.state.settings.login_required else "/", status_code=303)


def _account(request: Request, session, user, **extra) -> dict:
    identity = identify(request, session)
    return {"user": user, "via": identity.via, "tokens": accounts.list_tokens(session, user=user),
            "has_password": bool(user.password_hash), **extra}


@router.get("/account")
def account_page(request: Request, session: SessionDep, user: CurrentUser):
    """Anyone signed in: their account, password and API tokens."""
    return page(request, "account.html", _account(request, session, user))


@router.post("/account/password")
def change_password(request: Request, session: SessionDep, user: CurrentUser,
                    current: Annotated[str, Form()] = "", new: Annotated[str, Form()] = "",
                    keep_tokens: Annotated[str, Form()] = ""):
    """Anyone signed in, for their own account: needs the current password (unless the account has none yet,
    like the embedded lab's local instructor). Every other session of the account ends, and its API tokens are
    revoked unless the form's "keep my API tokens" box is ticked (keep_tokens=true)."""
    if user.password_hash and not accounts.check_password(user, current):
        return page(request, "account.html", _account(request, session, user, errors={
            "current": "that is not your current password"}), status_code=422)
    try:
        revoked = accounts.set_password(session, user=session.merge(user), password=new,
                                        keep_session=identify(request, session).session_id,
                                        revoke_tokens=keep_tokens != "true")
    except DomainError as e:
        return page(request, "account.html", _account(request, session, user, errors={"new": e.message}),
                    status_code=422)
    tokens = f" {revoked} API token{'s were' if revoked != 1 else ' was'} revoked." if revoked else ""
    return page(request, "account.html", _account(request, session, session.merge(user),
                                                  notice="Your password is changed; other sessions were logged out."
                                                         + tokens))


@router.post("/account/tokens")
def create_token(request: Request, session: SessionDep, user: CurrentUser, name: Annotated[str, Form()] = ""):
    """Anyone signed in: a new API token for their own account, shown once on the page that answers."""
    try:
        row, token = accounts.create_token(session, user=user, name=name)
    except DomainError as e:
        return page(request, "account.html", _account(request, session, user, errors={"token": e.message}),
                    status_code=422)
    return page(request, "account.html", _account(request, session, user, new_token=token, new_token_name=row.name),
                status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(session: SessionDep, user: CurrentUser, token_id: str):
    """Anyone signed in, for their own tokens (another's, or an id that spells none, is a 404)."""
    key = parse_id(token_id)
    if key is None:
        raise HTTPException(404, f"no token {token_id}")
    accounts.revoke_token(session, user=user, token_id=key)
    return RedirectResponse("/account", status_code=303)


@router.get("/admin/users")
def users_page(request: Request, session: SessionDep, user: AdminUser):
    """Admins: every account, with its role and whether it is disabled."""
    return page(request, "admin_users.html", {"users": accounts.list_users(session), "roles": ROLES})


@router.post("/admin/users")
def add_user(request: Request, session: SessionDep, user: AdminUser, name: Annotated[str, Form()] = "",
             password: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "student"):
    """Admins: create an account (e.g. for a student) with a first password."""
    try:
        accounts.create_user(session, name=name, password=password, role=role)
    except DomainError as e:
        return page(request, "admin_users.html", {"users": accounts.list_users(session), "roles": ROLES,
                                                  "errors": {e.field: e.message}, "name": name}, status_code=422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}")
def update_user(request: Request, session: SessionDep, user: AdminUser, user_id: str,
                role: Annotated[str, Form()] = "", disabled: Annotated[str, Form()] = ""):
    """Admins only (an instructor manages their classes, not accounts): change another account's role, or disable
    it (its sessions end; its tokens stop working). Not their own: an admin cannot lock themselves out."""
    key = parse_id(user_id)
    target = accounts.get_user(session, user_id=key) if key is not None else None
    if target is None:
        raise HTTPException(404, f"no user {user_id}")
    if target.id == user.id:
        raise HTTPException(422, "change another account, not your own (you would lock yourself out)")
    try:
        accounts.update_user(session, user=target, role=role or None,
                             disabled={"true": True, "false": False}.get(disabled))
    except DomainError as e:
        return page(request, "admin_users.html", {"users": accounts.list_users(session), "roles": ROLES,
                                                  "errors": {e.field: e.message}}, status_code=422)
    return RedirectResponse("/admin/users", status_code=303)
