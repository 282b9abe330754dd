"""Staff accounts, their sessions, and the audit log of what staff did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


def _timestamp(*, index: bool = False, nullable: bool = False) -> Any:
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


class User(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)  # stored lower-case
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=200)  # argon2id
    role: str = Field(default="moderator", max_length=16)  # moderator | admin
    totp_secret: str | None = Field(default=None, max_length=64)  # base32; set once confirmed
    # The time step of the last TOTP code accepted: a code is good once (RFC 6238, 5.2).
    totp_last_step: int | None = None
    active: bool = True
    created_at: datetime = _timestamp()
    last_login_at: datetime | None = _timestamp(nullable=True)


class RecoveryCode(SQLModel, table=True):
    """One-time codes for a lost authenticator; only their hashes are kept."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=128)
    used_at: datetime | None = _timestamp(nullable=True)


class StaffSession(SQLModel, table=True):
    """A signed-in browser; the cookie carries a random token, the table only its hash, so a
    logout or a disabled account ends the session on every app instance."""

    __tablename__ = "staff_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    # Set when the password was right but the second factor is still owed.
    pending_totp: bool = False
    created_at: datetime = _timestamp()
    expires_at: datetime = _timestamp(index=True)


class AuditEntry(SQLModel, table=True):
    """Staff actions (logins, decisions, edits, user changes); never any submitter data."""

    __tablename__ = "audit_entry"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp(index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=64)  # e.g. login, login_failed, publish, reject, user_role
    target: str | None = Field(default=None, max_length=120)  # e.g. "submission 12"
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RateLimitBucket(SQLModel, table=True):
    """Counts per keyed hash and time window, shared by all app instances.

    The key is an HMAC of (secret, window, client address or account), so no address is kept;
    rows older than the window are purged within the hour.
    """

    __tablename__ = "rate_limit_bucket"
    scope: str = Field(primary_key=True, max_length=32)  # submit | login | submit_global
    key_hash: str = Field(primary_key=True, max_length=64)
    window_start: datetime = Field(
        sa_column=Column(DateTime(timezone=True), primary_key=True, index=True)
    )
    hits: int = 0
