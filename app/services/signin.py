"""Signing staff in and out: password check with throttling, the second factor, sessions.

Sessions live in the database (StaffSession): the browser holds a random token, the table only
its sha256, so ending a session (logout, a disabled account) takes effect on every instance.

Failed logins are counted per account and per client in 15-minute RateLimitBucket windows
through app/services/ratelimit.py: rows are keyed by HMAC(secret, scope, window, key), so no
address or email is stored, and they are purged once their hour has ended.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.models import RateLimitBucket, RecoveryCode, StaffSession, User
from app.services import audit, ratelimit, totp
from app.services.accounts import (
    get_user_by_email,
    hash_password,
    normalise_email,
    password_needs_rehash,
    verify_password,
)

SESSION_LIFETIME = timedelta(hours=12)
SECOND_FACTOR_LIFETIME = timedelta(minutes=10)
LOGIN_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5  # per account and window
CLIENT_FAILURE_LIMIT = 20  # per client and window, across accounts
ACCOUNT_SCOPE = "login_account"
CLIENT_SCOPE = "login_client"
WRONG_CREDENTIALS = "Email or password is wrong. Check both and try again."
WRONG_CODE = "That code is wrong or has expired. Enter the code your app shows now."

_unknown_user_hash: str | None = None


def _verify_unknown_user(password: str) -> None:
    """Spend the time a real verification takes, so an unknown email answers no faster."""
    global _unknown_user_hash
    if _unknown_user_hash is None:
        _unknown_user_hash = hash_password(secrets.token_urlsafe(16))
    verify_password(_unknown_user_hash, password)


class LoginError(Exception):
    """A refused sign-in; the message is shown as it is."""


class LoginThrottled(LoginError):
    def __init__(self, minutes: int) -> None:
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many attempts; try again in {minutes} {unit}.")
        self.minutes = minutes


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- Throttling ---------------------------------------------------------------------------


def _failures(session: Session, secret: str, scope: str, key: str, now: datetime) -> int:
    start = ratelimit.window_start(now, LOGIN_WINDOW)
    key_hash = ratelimit.key_hash(secret=secret, scope=scope, start=start, key=key)
    hits = session.exec(
        select(RateLimitBucket.hits).where(
            RateLimitBucket.scope == scope,
            RateLimitBucket.key_hash == key_hash,
            RateLimitBucket.window_start == start,
        )
    ).first()
    return hits or 0


def _throttle_keys(email: str, client_key: str | None) -> list[tuple[str, str, int]]:
    keys = [(ACCOUNT_SCOPE, normalise_email(email), ACCOUNT_FAILURE_LIMIT)]
    if client_key:
        keys.append((CLIENT_SCOPE, client_key, CLIENT_FAILURE_LIMIT))
    return keys


def _check_throttle(
    session: Session, secret: str, email: str, client_key: str | None, now: datetime
) -> None:
    # Every attempt, right or wrong, also clears out buckets whose hour has ended.
    ratelimit.purge_expired(session=session, now=now, commit=False)
    for scope, key, limit in _throttle_keys(email, client_key):
        if _failures(session, secret, scope, key, now) >= limit:
            window_end = ratelimit.window_start(now, LOGIN_WINDOW) + LOGIN_WINDOW
            raise LoginThrottled(max(1, math.ceil((window_end - now).total_seconds() / 60)))


def _count_failure(
    session: Session, secret: str, email: str, client_key: str | None, now: datetime
) -> None:
    """Count a failed attempt against the account and the client (and commit)."""
    for scope, key, limit in _throttle_keys(email, client_key):
        ratelimit.hit(
            session=session, secret=secret, scope=scope, key=key, limit=limit,
            window=LOGIN_WINDOW, now=now,
        )


def _forget_failures(session: Session, secret: str, email: str, now: datetime) -> None:
    start = ratelimit.window_start(now, LOGIN_WINDOW)
    key = normalise_email(email)
    key_hash = ratelimit.key_hash(secret=secret, scope=ACCOUNT_SCOPE, start=start, key=key)
    session.execute(
        delete(RateLimitBucket)
        .where(
            col(RateLimitBucket.scope) == ACCOUNT_SCOPE,
            col(RateLimitBucket.key_hash) == key_hash,
        )
        .execution_options(synchronize_session=False)
    )


# --- Password and second factor -----------------------------------------------------------


def authenticate(
    *,
    session: Session,
    secret: str,
    email: str,
    password: str,
    client_key: str | None,
    now: datetime | None = None,
) -> User:
    """The account for this email and password, or LoginError (LoginThrottled when there
    were too many failures for the account or the client in the last window).

    The caller still owes the second factor when the returned user has a TOTP secret."""
    now = _now(now)
    _check_throttle(session, secret, email, client_key, now)
    user = get_user_by_email(session=session, email=email)
    if user is None:
        _verify_unknown_user(password)
        _count_failure(session, secret, email, client_key, now)
        raise LoginError(WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        audit.record(
            session=session, actor=user, action="login_failed", detail={"step": "password"}
        )
        _count_failure(session, secret, email, client_key, now)
        session.commit()
        raise LoginError(WRONG_CREDENTIALS)
    if not user.active:
        raise LoginError("This account is disabled. Ask an administrator to enable it again.")
    _forget_failures(session, secret, email, now)
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    session.commit()
    return user


def verify_second_factor(
    *,
    session: Session,
    secret: str,
    user: User,
    code: str,
    client_key: str | None,
    now: datetime | None = None,
) -> str:
    """Check a TOTP code or an unused recovery code; returns "totp" or "recovery_code".
    Wrong codes count towards the same throttle as wrong passwords."""
    now = _now(now)
    _check_throttle(session, secret, user.email, client_key, now)
    step = None
    if user.totp_secret:
        step = totp.matching_step(user.totp_secret, code, at=now.timestamp())
    # Each code is good once: a step at or before the last one used is refused (RFC 6238, 5.2).
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        session.add(user)
        session.commit()
        return "totp"
    code_hash = totp.hash_recovery_code(code)
    recovery = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == code_hash,
            col(RecoveryCode.used_at).is_(None),
        )
    ).first()
    if recovery is not None and totp.normalise_recovery_code(code):
        recovery.used_at = now
        session.add(recovery)
        session.commit()
        return "recovery_code"
    audit.record(session=session, actor=user, action="login_failed", detail={"step": "code"})
    _count_failure(session, secret, user.email, client_key, now)
    session.commit()
    raise LoginError(WRONG_CODE)


# --- Sessions -----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    *,
    session: Session,
    user: User,
    second_factor_pending: bool = False,
    second_factor: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new session for the user; returns the token for the cookie. A full session (not
    waiting for the second factor) is a completed login: it is stamped and audited."""
    assert user.id is not None
    now = _now(now)
    session.execute(
        delete(StaffSession)
        .where(col(StaffSession.expires_at) < now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    lifetime = SECOND_FACTOR_LIFETIME if second_factor_pending else SESSION_LIFETIME
    session.add(
        StaffSession(
            token_hash=_token_hash(token), user_id=user.id, pending_totp=second_factor_pending,
            created_at=now, expires_at=now + lifetime,
        )
    )
    if not second_factor_pending:
        user.last_login_at = now
        session.add(user)
        detail = {"second_factor": second_factor} if second_factor else None
        audit.record(session=session, actor=user, action="login", detail=detail)
    session.commit()
    return token


def _lookup(session: Session, token: str, now: datetime) -> tuple[StaffSession, User] | None:
    row = session.exec(
        select(StaffSession, User)
        .join(User, col(StaffSession.user_id) == col(User.id))
        .where(StaffSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    staff_session, user = row
    if _aware(staff_session.expires_at) <= now or not user.active:
        return None
    return staff_session, user


def signed_in_user(*, session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user a fully signed-in session belongs to, else None."""
    found = _lookup(session, token, _now(now))
    if found is None or found[0].pending_totp:
        return None
    return found[1]


def second_factor_user(
    *, session: Session, token: str, now: datetime | None = None
) -> User | None:
    """The user whose password was right and who still owes the second factor, else None."""
    found = _lookup(session, token, _now(now))
    if found is None or not found[0].pending_totp:
        return None
    return found[1]


def end_session(*, session: Session, token: str, user: User | None = None) -> None:
    session.execute(delete(StaffSession).where(col(StaffSession.token_hash) == _token_hash(token)))
    if user is not None:
        audit.record(session=session, actor=user, action="logout")
    session.commit()


def end_user_sessions(*, session: Session, user: User) -> None:
    """Sign the user out everywhere."""
    session.execute(delete(StaffSession).where(col(StaffSession.user_id) == user.id))
    session.commit()
