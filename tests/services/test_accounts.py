"""Staff accounts and sign-in at the service level: hashing, policy, throttling without
addresses, sessions, TOTP (RFC 6238 vectors), recovery codes, user administration, audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import Type
from sqlmodel import Session, select
from staff import STAFF_PASSWORD, make_user

from app.models import AuditEntry, RateLimitBucket, RecoveryCode, StaffSession, User
from app.services import accounts, audit, signin, totp
from app.services.accounts import AccountError
from app.services.signin import LoginError, LoginThrottled

SECRET = "service-test-secret"
CLIENT = "203.0.113.7"
NOON = datetime(2030, 5, 1, 12, 0, 30, tzinfo=UTC)  # 30 s into a 15-minute window


def attempt(session: Session, email: str, password: str, *, now: datetime = NOON,
            client: str | None = CLIENT) -> User:
    return signin.authenticate(
        session=session, secret=SECRET, email=email, password=password, client_key=client,
        now=now,
    )


# --- Passwords and accounts ---------------------------------------------------------------


def test_production_hasher_is_argon2id_with_rfc_9106_costs() -> None:
    hasher = accounts.PRODUCTION_HASHER
    assert hasher.type is Type.ID
    assert hasher.memory_cost >= 64 * 1024 and hasher.time_cost >= 3


def test_stored_hashes_are_argon2id(session: Session) -> None:
    user = make_user(session, "hash@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in user.password_hash
    assert accounts.verify_password(user.password_hash, STAFF_PASSWORD)
    assert not accounts.verify_password(user.password_hash, STAFF_PASSWORD + "x")
    assert not accounts.verify_password("not a hash", STAFF_PASSWORD)


def test_create_user_rules(session: Session) -> None:
    user = make_user(session, "  Mixed.Case@Example.ORG ")
    assert user.email == "mixed.case@example.org" and user.active
    with pytest.raises(AccountError) as duplicate:
        make_user(session, "MIXED.case@example.org")
    assert duplicate.value.errors == {"email": "An account with this email address exists already."}
    with pytest.raises(AccountError) as bad:
        accounts.create_user(
            session=session, email="x", display_name="", password="eleven char", role="boss"
        )
    assert set(bad.value.errors) == {"email", "display_name", "password", "role"}
    assert "12 characters" in bad.value.errors["password"]
    with pytest.raises(AccountError):
        make_user(session, "spaces@example.org", password=" " * 12)
    make_user(session, "twelve@example.org", password="x" * 12)  # exactly the minimum
    added = session.exec(select(AuditEntry).where(AuditEntry.action == "user_add")).all()
    assert len(added) == 2 and all(entry.detail == {"role": "moderator"} for entry in added)


# --- Authentication and throttling --------------------------------------------------------


def test_right_and_wrong_passwords(session: Session) -> None:
    user = make_user(session, "ok@example.org")
    assert attempt(session, "OK@example.org ", STAFF_PASSWORD).id == user.id
    for email, password in (("ok@example.org", "wrong wrong wrong"),
                            ("missing@example.org", STAFF_PASSWORD)):
        with pytest.raises(LoginError) as refused:
            attempt(session, email, password)
        assert str(refused.value) == signin.WRONG_CREDENTIALS
    failed = session.exec(select(AuditEntry).where(AuditEntry.action == "login_failed")).all()
    assert [(entry.actor_id, entry.detail) for entry in failed] == [
        (user.id, {"step": "password"})
    ]


def test_disabled_account_cannot_sign_in(session: Session) -> None:
    user = make_user(session, "off@example.org")
    user.active = False
    session.add(user)
    session.commit()
    with pytest.raises(LoginError, match="disabled"):
        attempt(session, "off@example.org", STAFF_PASSWORD)
    with pytest.raises(LoginError, match="wrong"):  # the wrong password says nothing more
        attempt(session, "off@example.org", "not the password")


def test_account_throttle_and_its_window(session: Session) -> None:
    make_user(session, "target@example.org")
    for number in range(signin.ACCOUNT_FAILURE_LIMIT):
        with pytest.raises(LoginError) as refused:
            attempt(session, "target@example.org", "guess", client=f"198.51.100.{number}")
        assert not isinstance(refused.value, LoginThrottled)
    # Even the right password, from a fresh client, waits for the window to end.
    with pytest.raises(LoginThrottled) as throttled:
        attempt(session, "target@example.org", STAFF_PASSWORD, client="192.0.2.1")
    assert str(throttled.value) == "Too many attempts; try again in 15 minutes."
    later = NOON + timedelta(minutes=10)
    with pytest.raises(LoginThrottled, match="try again in 5 minutes"):
        attempt(session, "target@example.org", STAFF_PASSWORD, now=later)
    next_window = NOON + timedelta(minutes=15)
    assert attempt(session, "target@example.org", STAFF_PASSWORD, now=next_window)


def test_success_forgets_earlier_failures(session: Session) -> None:
    make_user(session, "typo@example.org")
    for _ in range(signin.ACCOUNT_FAILURE_LIMIT - 1):
        with pytest.raises(LoginError):
            attempt(session, "typo@example.org", "typo", client=None)
    attempt(session, "typo@example.org", STAFF_PASSWORD, client=None)
    for _ in range(signin.ACCOUNT_FAILURE_LIMIT - 1):
        with pytest.raises(LoginError):
            attempt(session, "typo@example.org", "typo", client=None)
    assert attempt(session, "typo@example.org", STAFF_PASSWORD, client=None)


def test_client_throttle_spans_accounts(session: Session) -> None:
    make_user(session, "victim@example.org")
    for number in range(signin.CLIENT_FAILURE_LIMIT):
        with pytest.raises(LoginError):
            attempt(session, f"guess{number}@example.org", "guess")
    with pytest.raises(LoginThrottled):
        attempt(session, "victim@example.org", STAFF_PASSWORD)
    assert attempt(session, "victim@example.org", STAFF_PASSWORD, client="192.0.2.99")


def test_rate_limit_rows_hold_no_address_and_are_purged(session: Session) -> None:
    make_user(session, "rows@example.org")
    with pytest.raises(LoginError):
        attempt(session, "rows@example.org", "guess")
    rows = session.exec(select(RateLimitBucket)).all()
    assert {row.scope for row in rows} == {signin.ACCOUNT_SCOPE, signin.CLIENT_SCOPE}
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row.key_hash)
        dumped = repr(row.model_dump())
        assert CLIENT not in dumped and "rows@example.org" not in dumped
    # The same client in another window gets an unrelated hash.
    with pytest.raises(LoginError):
        attempt(session, "rows@example.org", "guess", now=NOON + timedelta(minutes=15))
    hashes = {row.key_hash for row in session.exec(select(RateLimitBucket)).all()}
    assert len(hashes) == 4
    # Every sign-in attempt, right or wrong, purges the buckets of hours that have ended.
    session.expunge_all()  # ORM-enabled deletes cannot evaluate SQLite's naive datetimes
    attempt(session, "rows@example.org", STAFF_PASSWORD, now=NOON + timedelta(minutes=59))
    assert len(session.exec(select(RateLimitBucket)).all()) == 4
    session.expunge_all()
    attempt(session, "rows@example.org", STAFF_PASSWORD, now=NOON + timedelta(minutes=60))
    assert session.exec(select(RateLimitBucket)).all() == []


# --- Sessions -----------------------------------------------------------------------------


def test_sessions_store_only_a_hash_and_end(session: Session) -> None:
    user = make_user(session, "sess@example.org")
    token = signin.start_session(session=session, user=user, now=NOON)
    stored = session.exec(select(StaffSession)).one()
    assert stored.token_hash != token and len(token) >= 40
    assert signin.signed_in_user(session=session, token=token, now=NOON) == user
    assert signin.signed_in_user(session=session, token=token + "x", now=NOON) is None
    expired = NOON + signin.SESSION_LIFETIME
    assert signin.signed_in_user(session=session, token=token, now=expired) is None
    signin.end_session(session=session, token=token, user=user)
    assert signin.signed_in_user(session=session, token=token, now=NOON) is None
    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions == ["user_add", "login", "logout"]


def test_half_way_session_is_not_a_sign_in(session: Session) -> None:
    user = make_user(session, "half@example.org")
    token = signin.start_session(session=session, user=user, second_factor_pending=True)
    assert signin.signed_in_user(session=session, token=token) is None
    assert signin.second_factor_user(session=session, token=token) == user
    later = datetime.now(UTC) + signin.SECOND_FACTOR_LIFETIME + timedelta(seconds=1)
    assert signin.second_factor_user(session=session, token=token, now=later) is None


# --- TOTP ---------------------------------------------------------------------------------

# RFC 6238 appendix B: 8-digit codes for the ASCII keys "1234567890" repeated to the
# digest's length.
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
KEYS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_matches_rfc_6238(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(KEYS[digest], at, digits=8, digest=digest) == expected


def test_totp_accepts_one_step_of_drift_and_no_more() -> None:
    secret = totp.generate_secret()
    key = totp.decode_secret(secret)
    at = 1_700_000_000.0
    for offset in (-30, 0, 30):
        assert totp.verify_totp(secret, totp.totp(key, at + offset), at=at)
    for offset in (-60, 60):
        code = totp.totp(key, at + offset)
        if code not in {totp.totp(key, at + d) for d in (-30, 0, 30)}:
            assert not totp.verify_totp(secret, code, at=at)
    assert not totp.verify_totp(secret, "12345", at=at)
    assert not totp.verify_totp(secret, "abcdef", at=at)


def test_provisioning_uri_and_qr_code() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="ana@example.org")
    assert uri.startswith("otpauth://totp/Safe%20City%20Watch:ana@example.org?secret=JBSWY3DPEHPK3PXP")
    assert "issuer=Safe+City+Watch" in uri and "digits=6" in uri and "period=30" in uri
    assert totp.qr_code_data_uri(uri).startswith("data:image/svg+xml")


def test_enrolment_and_recovery_codes(session: Session) -> None:
    user = make_user(session, "totp@example.org")
    secret = totp.generate_secret()
    at = NOON.timestamp()
    with pytest.raises(AccountError):
        accounts.enable_totp(session=session, user=user, secret=secret, code="000000x", at=at)
    with pytest.raises(AccountError, match="expired"):
        accounts.enable_totp(session=session, user=user, secret="!!", code="123456", at=at)
    assert user.totp_secret is None
    code = totp.totp(totp.decode_secret(secret), at)
    codes = accounts.enable_totp(session=session, user=user, secret=secret, code=code, at=at)
    assert user.totp_secret == secret and len(codes) == 10
    assert accounts.recovery_codes_left(session=session, user=user) == 10

    def second(code: str) -> str:
        return signin.verify_second_factor(
            session=session, secret=SECRET, user=user, code=code, client_key=None, now=NOON
        )

    with pytest.raises(LoginError):
        second(code)  # the code that confirmed the setup cannot sign in
    following = totp.totp(totp.decode_secret(secret), at + 30)  # accepted: one step of drift
    assert second(following) == "totp"
    with pytest.raises(LoginError):
        second(following)  # each code is good once (RFC 6238, 5.2)
    assert user.totp_last_step == int(at + 30) // 30
    assert second(codes[3].upper()) == "recovery_code"
    with pytest.raises(LoginError):
        second(codes[3])  # each recovery code works once
    with pytest.raises(LoginError):
        second("")
    assert accounts.recovery_codes_left(session=session, user=user) == 9
    with pytest.raises(AccountError):
        accounts.disable_totp(session=session, user=user, password="not it")
    accounts.disable_totp(session=session, user=user, password=STAFF_PASSWORD)
    assert user.totp_secret is None
    assert session.exec(select(RecoveryCode)).all() == []


def test_wrong_codes_count_towards_the_throttle(session: Session) -> None:
    user = make_user(session, "codes@example.org")
    user.totp_secret = totp.generate_secret()
    for _ in range(signin.ACCOUNT_FAILURE_LIMIT):
        with pytest.raises(LoginError):
            signin.verify_second_factor(
                session=session, secret=SECRET, user=user, code="nonsense", client_key=None,
                now=NOON,
            )
    with pytest.raises(LoginThrottled):
        attempt(session, "codes@example.org", STAFF_PASSWORD)


# --- User administration and audit ---------------------------------------------------------


def test_last_admin_cannot_be_disabled_or_demoted(session: Session) -> None:
    admin = make_user(session, "a@example.org", role="admin")
    other = make_user(session, "b@example.org", role="admin")
    mod = make_user(session, "m@example.org")
    with pytest.raises(AccountError, match="your own account"):
        accounts.set_active(session=session, actor=admin, user=admin, active=False)
    signin.start_session(session=session, user=other)
    accounts.set_active(session=session, actor=admin, user=other, active=False)
    assert session.exec(select(StaffSession).where(StaffSession.user_id == other.id)).all() == []
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_role(session=session, actor=admin, user=admin, role="moderator")
    with pytest.raises(AccountError, match="Choose a role"):
        accounts.set_role(session=session, actor=admin, user=mod, role="owner")
    accounts.set_role(session=session, actor=admin, user=mod, role="admin")
    accounts.set_role(session=session, actor=admin, user=admin, role="moderator")  # now allowed
    assert (admin.role, mod.role) == ("moderator", "admin")
    changes = session.exec(
        select(AuditEntry).where(AuditEntry.action == "user_role").order_by(AuditEntry.id)
    ).all()
    assert [entry.detail for entry in changes] == [
        {"from": "moderator", "to": "admin"}, {"from": "admin", "to": "moderator"}
    ]


def test_audit_keeps_short_facts_only(session: Session) -> None:
    user = make_user(session, "audit@example.org")
    with pytest.raises(ValueError, match="too long"):
        audit.record(session=session, actor=user, action="publish", detail={"note": "x" * 500})
    with pytest.raises(ValueError, match="scalar"):
        audit.record(
            session=session, actor=user, action="publish", detail={"fields": {"a": 1}}  # type: ignore[dict-item]
        )
    audit.record(session=session, actor=user, action="publish", target="submission 3",
                 detail={"state": "accepted"})
    session.commit()
    page = audit.list_entries(session=session, per_page=1)
    assert page.total == 2 and page.pages == 2
    entry, actor = page.entries[0]
    assert (entry.action, entry.target, actor) == ("publish", "submission 3", user)
