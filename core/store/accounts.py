"""Data functions over accounts: users and their passwords, browser sessions, personal API tokens.

Passwords are hashed with argon2 (pwdlib). Session secrets and API tokens are 32 random bytes, so
a plain SHA-256 of them is enough to store (nobody can guess one to match the hash) and lets every
request find its row with one indexed lookup; argon2 there would cost tens of milliseconds a request.
No FastAPI here: the web app (app/auth/) and the CLI (`forgetlab user ...`) both use these.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Invalid, NotFound
from .models import ROLES, ApiToken, User, UserSession, utcnow

INSTRUCTOR, STUDENT, GUEST, ADMIN = ROLES
LOCAL_USER = "local"  # the embedded lab's single user (its admin), signed in without a password
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "fl_"


@lru_cache
def _hasher():
    from pwdlib import PasswordHash

    return PasswordHash.recommended()  # argon2id with pwdlib's recommended parameters


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    """Constant-time check against the stored argon2 hash; False when the user has no password."""
    if not user.password_hash:
        _hasher().hash(password)  # the same work either way, so timing tells nothing
        return False
    return _hasher().verify(password, user.password_hash)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_name(name: str) -> str:
    """A login name: 2-32 characters of a-z 0-9 . _ -, starting with a letter or digit (lowercased)."""
    name = (name or "").strip().lower()
    if not NAME.match(name):
        raise Invalid("a user name is 2-32 characters: letters, digits, '.', '_' or '-'", "name")
    return name


def check_new_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"a password has at least {MIN_PASSWORD} characters", "password")
    if len(password) > 1024:
        raise Invalid("a password has at most 1024 characters", "password")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"a role is one of {', '.join(ROLES)}", "role")
    return role


# --- users ---------------------------------------------------------------------------------------------


def create_user(session: Session, *, name: str, password: str | None, role: str = STUDENT) -> User:
    """A new account; Invalid names the field (a taken name is `name`)."""
    name = check_name(name)
    if name == LOCAL_USER:
        raise Invalid(f"the name {LOCAL_USER!r} is the embedded lab's own user", "name")
    user = User(name=name, role=check_role(role), disabled=False, created_at=utcnow(),
                password_hash=hash_password(check_new_password(password)) if password is not None else None)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Invalid(f"the name {name!r} is taken", "name") from None
    return user


def local_user(session: Session) -> User:
    """The embedded lab's local user, its admin (it teaches and manages accounts), created on first use (two first
    requests may race: one wins)."""
    user = user_by_name(session, LOCAL_USER)
    if user is not None:
        return user
    session.add(User(name=LOCAL_USER, role=ADMIN, disabled=False, created_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
    return user_by_name(session, LOCAL_USER)


def get_user(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == (name or "").strip().lower())).first()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def authenticate(session: Session, *, name: str, password: str) -> User | None:
    """The enabled user with this name and password, else None (one answer for every wrong case)."""
    user = user_by_name(session, name)
    if user is None:
        _hasher().hash(password or "")  # as slow as a real check, so a wrong name and a wrong password look alike
        return None
    if not check_password(user, password or "") or user.disabled:
        return None
    return user


def set_password(session: Session, *, user: User, password: str, keep_session: str | None = None,
                 revoke_tokens: bool = True) -> int:
    """A new password; every other browser session of the user ends (a stolen cookie stops working), and unless
    `revoke_tokens` is False so do their API tokens (a password changed because it leaked leaves no token of
    the thief's). Returns how many tokens were revoked."""
    user.password_hash = hash_password(check_new_password(password))
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session:
        query = query.where(UserSession.id != keep_session)
    session.execute(query)
    revoked = 0
    if revoke_tokens:
        revoked = session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                  .values(revoked_at=utcnow())).rowcount
    session.commit()
    return revoked


def update_user(session: Session, *, user: User, role: str | None = None, disabled: bool | None = None) -> User:
    """Change a role or (dis)able an account; disabling ends its sessions at once (its tokens stop working too)."""
    if role is not None:
        user.role = check_role(role)
    if disabled is not None:
        user.disabled = disabled
        if disabled:
            session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.commit()
    return user


# --- browser sessions --------------------------------------------------------------------------------


def start_session(session: Session, *, user: User, days: float) -> str:
    """A new session; returns the secret for the cookie (only its hash is stored)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(id=digest(secret), user_id=user.id, created_at=now, expires_at=now + timedelta(days=days)))
    session.commit()
    return secret


def session_user(session: Session, secret: str) -> tuple[User, str] | None:
    """(user, session id) of a live session cookie, or None (unknown, expired, or the user disabled)."""
    row = session.get(UserSession, digest(secret))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return (user, row.id) if user is not None and not user.disabled else None


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id == digest(secret)))
    session.commit()


def purge_sessions(session: Session) -> int:
    """Delete expired sessions; returns how many."""
    result = session.execute(delete(UserSession).where(UserSession.expires_at < utcnow()))
    session.commit()
    return result.rowcount


# --- API tokens -----------------------------------------------------------------------------------------


def create_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; returns (row, the token itself). The token is shown once and never stored."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("name the token (1-100 characters), e.g. 'laptop' or 'CI'", "name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=digest(token), prefix=token[:10], created_at=utcnow())
    session.add(row)
    session.commit()
    return row, token


def token_user(session: Session, token: str) -> User | None:
    """The enabled user of a live (not revoked) token, or None. Notes the use at most once a minute."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        session.commit()
    return user


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (NotFound for anyone else's: it does not say it exists)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"no token {token_id}", "token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()
    return row
