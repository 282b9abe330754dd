"""Staff accounts: argon2id passwords, creating users, roles and the active flag, and the
two-factor settings of an account (TOTP secret and recovery codes).

Signing in (throttling, sessions, the second factor at login) is in app/services/signin.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import RecoveryCode, StaffSession, User
from app.services import audit, totp

ROLES: dict[str, str] = {"moderator": "Moderator", "admin": "Administrator"}
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work per attempt
MAX_DISPLAY_NAME = 120
MAX_EMAIL_LENGTH = 320
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (64 MiB, t=3, p=4).
PRODUCTION_HASHER = PasswordHasher()
_hasher = PRODUCTION_HASHER


class AccountError(Exception):
    """Input that cannot be accepted; `errors` maps each form field to what to do about it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing cost, for the test suite only (tests/staff.py): a production hash
    takes about half a second, on purpose. Hashes stay argon2id and verify either way."""
    global _hasher
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"Use at least {MIN_PASSWORD_LENGTH} characters; a few unrelated words "
            "make a password that is long and easy to remember."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "A password of only spaces is too easy to guess."
    return None


def get_user(*, session: Session, user_id: int) -> User | None:
    if not 0 < user_id < 2**63:  # SQLite cannot bind a larger integer
        return None
    return session.get(User, user_id)


def get_user_by_email(*, session: Session, email: str) -> User | None:
    if "\x00" in email:  # PostgreSQL refuses NUL in text; no stored address holds one
        return None
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def list_users(*, session: Session) -> Sequence[User]:
    return session.exec(
        select(User).order_by(col(User.active).desc(), col(User.display_name), col(User.id))
    ).all()


def create_user(
    *,
    session: Session,
    email: str,
    display_name: str,
    password: str,
    role: str,
    actor: User | None = None,
) -> User:
    """A new active account, committed; AccountError names each field that needs fixing."""
    email = normalise_email(email)
    display_name = " ".join(display_name.split())
    errors: dict[str, str] = {}
    if not _EMAIL.match(email) or len(email) > MAX_EMAIL_LENGTH:
        errors["email"] = "Enter an email address like name@example.org."
    elif get_user_by_email(session=session, email=email) is not None:
        errors["email"] = "An account with this email address exists already."
    if not display_name:
        errors["display_name"] = "Enter the name other staff will see, e.g. Ana Petrović."
    elif len(display_name) > MAX_DISPLAY_NAME:
        errors["display_name"] = f"Use at most {MAX_DISPLAY_NAME} characters."
    if role not in ROLES:
        errors["role"] = "Choose a role: " + " or ".join(ROLES) + "."
    if problem := password_problem(password):
        errors["password"] = problem
    if errors:
        raise AccountError(errors)
    user = User(
        email=email, display_name=display_name, password_hash=hash_password(password), role=role
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the same address added at the same moment elsewhere
        session.rollback()
        raise AccountError(
            {"email": "An account with this email address exists already."}
        ) from None
    audit.record(
        session=session, actor=actor, action="user_add", target=f"user {user.id}",
        detail={"role": role},
    )
    session.commit()
    session.refresh(user)
    return user


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == "admin", col(User.active))
    ).one()


def set_active(*, session: Session, actor: User, user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions everywhere at once."""
    if user.active == active:
        return
    if not active:
        if user.id == actor.id:
            raise AccountError({"active": "You cannot disable your own account."})
        if user.role == "admin" and _active_admins(session) <= 1:
            raise AccountError({"active": "This is the last active administrator."})
        session.execute(delete(StaffSession).where(col(StaffSession.user_id) == user.id))
    user.active = active
    session.add(user)
    audit.record(
        session=session, actor=actor, action="user_enable" if active else "user_disable",
        target=f"user {user.id}",
    )
    session.commit()


def set_role(*, session: Session, actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise AccountError({"role": "Choose a role: " + " or ".join(ROLES) + "."})
    if user.role == role:
        return
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        who = "You are" if user.id == actor.id else "This is"
        raise AccountError(
            {"role": f"{who} the last active administrator; make someone else one first."}
        )
    audit.record(
        session=session, actor=actor, action="user_role", target=f"user {user.id}",
        detail={"from": user.role, "to": role},
    )
    user.role = role
    session.add(user)
    session.commit()


def change_password(
    *, session: Session, user: User, current: str, new: str, repeat: str
) -> None:
    """Replace the user's own password; AccountError names the field to fix."""
    errors: dict[str, str] = {}  # keyed by form field; the values are messages, not secrets
    if not verify_password(user.password_hash, current):
        errors["current_password"] = "That is not your current password."  # noqa: S105
    if problem := password_problem(new):
        errors["new_password"] = problem
    elif new != repeat:
        errors["repeat_password"] = "The two new passwords differ; type the same one twice."  # noqa: S105
    if errors:
        raise AccountError(errors)
    user.password_hash = hash_password(new)
    session.add(user)
    audit.record(session=session, actor=user, action="password_change", target=f"user {user.id}")
    session.commit()


def reset_credentials(*, session: Session, actor: User, user: User, password: str) -> None:
    """An administrator's help for a lost password or authenticator: a new password, two-factor
    switched off (the user sets it up again), and every session of the user ended."""
    if user.id == actor.id:
        raise AccountError({"password": "Change your own password on your account page."})
    if problem := password_problem(password):
        raise AccountError({"password": problem})
    user.password_hash = hash_password(password)
    user.totp_secret = None
    user.totp_last_step = None
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.execute(delete(StaffSession).where(col(StaffSession.user_id) == user.id))
    audit.record(session=session, actor=actor, action="user_reset", target=f"user {user.id}")
    session.commit()


# --- Two-factor settings ------------------------------------------------------------------


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    assert user.id is not None
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = totp.generate_recovery_codes()
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(code)))
    return codes


def enable_totp(*, session: Session, user: User, secret: str, code: str, at: float) -> list[str]:
    """Turn on TOTP once the app shows a matching code; returns recovery codes to show once."""
    try:
        totp.decode_secret(secret)
    except ValueError:
        raise AccountError({"code": "The setup expired; start again."}) from None
    step = totp.matching_step(secret, code, at=at)
    if step is None:
        raise AccountError(
            {"code": "That code does not match. Check the phone's clock and enter the code "
                     "the app shows now (6 digits)."}
        )
    user.totp_secret = "".join(secret.split()).upper()
    user.totp_last_step = step  # the confirming code cannot then sign anyone in
    session.add(user)
    codes = _replace_recovery_codes(session, user)
    audit.record(session=session, actor=user, action="totp_enable", target=f"user {user.id}")
    session.commit()
    return codes


def _check_password(user: User, password: str) -> None:
    if not verify_password(user.password_hash, password):
        raise AccountError({"password": "That is not your current password."})


def disable_totp(*, session: Session, user: User, password: str) -> None:
    _check_password(user, password)
    user.totp_secret = None
    user.totp_last_step = None
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    audit.record(session=session, actor=user, action="totp_disable", target=f"user {user.id}")
    session.commit()


def regenerate_recovery_codes(*, session: Session, user: User, password: str) -> list[str]:
    """New codes (the old ones stop working); needs the password and TOTP switched on."""
    _check_password(user, password)
    if not user.totp_secret:
        raise AccountError({"password": "Turn on two-factor sign-in first."})
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session=session, actor=user, action="recovery_codes_new", target=f"user {user.id}"
    )
    session.commit()
    return codes


def recovery_codes_left(*, session: Session, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
    ).one()
