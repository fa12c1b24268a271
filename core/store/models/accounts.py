"""Accounts: users and their roles, profiles, one-time set-password links, browser sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, NeverReused, utcnow

# admin (migration 0013): what an instructor may, plus the user admin (accounts and roles); an instructor
# teaches their own classes and manages nobody's account.
ROLES = ("instructor", "student", "guest", "admin")
TEACHERS = ("instructor", "admin")  # who may create and teach classes


class User(NeverReused, Base):
    """An account. `password_hash` is argon2 (core/store/accounts.py); NULL means password login is off for
    it (the embedded lab's local instructor until someone sets one). Users are disabled, never deleted."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the login name, lowercase
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[str] = mapped_column(String(16), default="student")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Profile(Base):
    """A user's name and email for the gradebook export (migration 0014), when known: a roster import fills them.
    A table of its own, so the users table (which every sign-in reads) keeps its shape."""

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)


class PasswordLink(NeverReused, Base):
    """A one-time link that sets a user's password (migration 0015): a roster import's new account, or an
    instructor's reset. Only the secret's SHA-256 is stored; it works once, before `expires_at`."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class UserSession(Base):
    """A browser session: the cookie holds a random secret, the table only its SHA-256 (a leaked table
    signs nobody in). Deleted on log-out, on a password change (the others) and when a user is disabled."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's secret
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(NeverReused, Base):
    """A personal API token (`Authorization: Bearer fl_...`), stored as its SHA-256 only; revoked, not deleted,
    so the account page can show when."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it by
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
