"""One-time set-password links (keyword-only data functions): made for a roster import's new accounts and an
instructor's password reset, used once at /set-password/{secret}.

Only the secret's SHA-256 is stored, as for API tokens. Using a link sets the password (every session of the
account ends, core/store/accounts.py) and spends the link, in one guarded UPDATE so two uses at once cannot
both succeed; a newer link for the same user makes older unused ones void.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import accounts
from .models import PasswordLink, User, utcnow

LINK_DAYS = 7


def create_link(session: Session, *, user: User, created_by: int | None, days: float = LINK_DAYS) -> str:
    """A new link's secret (shown once); older unused links of the user stop working."""
    now = utcnow()
    session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
                    .values(used_at=now))
    secret = "pl_" + secrets.token_urlsafe(32)
    session.add(PasswordLink(token_hash=accounts.digest(secret), user_id=user.id, created_by=created_by,
                             created_at=now, expires_at=now + timedelta(days=days)))
    session.commit()
    return secret


def link_user(session: Session, secret: str) -> User | None:
    """The enabled user an unused, unexpired link is for; None otherwise (one answer for every bad case)."""
    row = session.scalars(select(PasswordLink).where(PasswordLink.token_hash == accounts.digest(secret or ""))).first()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return None if user is None or user.disabled else user


def use_link(session: Session, *, secret: str, password: str) -> User | None:
    """Set the password through the link and spend it; None if the link does not work (Invalid, from
    accounts.check_new_password, for a bad password, leaving the link unspent)."""
    user = link_user(session, secret)
    if user is None:
        return None
    accounts.check_new_password(password)
    spent = session.execute(update(PasswordLink).where(PasswordLink.token_hash == accounts.digest(secret),
                                                       PasswordLink.used_at.is_(None))
                            .values(used_at=utcnow())).rowcount
    if not spent:
        session.rollback()
        return None
    accounts.set_password(session, user=user, password=password)  # commits both
    return user
