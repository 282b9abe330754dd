"""The keyed-hash rate limiter: exact counts, no address stored, buckets gone with their hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.models import RateLimitBucket
from app.services import ratelimit

NOW = datetime(2026, 5, 1, 10, 20, tzinfo=UTC)
ADDRESS = "198.51.100.23"


def hit(session: Session, key: str = ADDRESS, *, now: datetime = NOW, limit: int = 3,
        scope: str = "submit", secret: str = "s3cret") -> ratelimit.Hit:
    return ratelimit.hit(
        session=session, secret=secret, scope=scope, key=key, limit=limit, now=now
    )


def test_counts_up_to_the_limit_then_refuses(session: Session) -> None:
    results = [hit(session) for _ in range(5)]

    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.hits for r in results] == [1, 2, 3, 4, 5]
    assert results[0].window_start == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert results[0].retry_after == datetime(2026, 5, 1, 11, 0, tzinfo=UTC)


def test_keys_and_scopes_are_counted_apart(session: Session) -> None:
    for _ in range(3):
        hit(session)
    assert hit(session, "203.0.113.5").allowed
    assert hit(session, scope="login").allowed
    assert not hit(session).allowed


def test_the_address_is_not_stored_only_a_keyed_hash(session: Session) -> None:
    hit(session)

    bucket = session.exec(select(RateLimitBucket)).one()
    assert ADDRESS not in bucket.key_hash
    assert len(bucket.key_hash) == 64
    start = datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert bucket.key_hash == ratelimit.key_hash(
        secret="s3cret", scope="submit", start=start, key=ADDRESS
    )
    # Another secret or another hour gives an unrelated hash, so rows cannot be linked.
    assert bucket.key_hash != ratelimit.key_hash(
        secret="other", scope="submit", start=start, key=ADDRESS
    )
    assert bucket.key_hash != ratelimit.key_hash(
        secret="s3cret", scope="submit", start=start + timedelta(hours=1), key=ADDRESS
    )
    rows = session.execute(text("SELECT * FROM rate_limit_bucket"))
    dump = " ".join(str(value) for row in rows for value in row)
    assert ADDRESS not in dump


def test_a_new_hour_starts_a_new_count_and_purges_the_old_buckets(session: Session) -> None:
    for key in ("a", "b", "c"):
        hit(session, key)
    for _ in range(3):
        hit(session)
    assert not hit(session).allowed

    later = NOW + timedelta(hours=1)
    assert hit(session, now=later).allowed

    buckets = session.exec(select(RateLimitBucket)).all()
    # SQLite hands back naive datetimes; every stored time is UTC.
    assert [(b.window_start.replace(tzinfo=UTC), b.hits) for b in buckets] == [
        (datetime(2026, 5, 1, 11, tzinfo=UTC), 1)
    ]


def test_purge_expired_without_a_hit(session: Session) -> None:
    hit(session)
    assert ratelimit.purge_expired(session=session, now=NOW + timedelta(minutes=30)) == 0
    assert ratelimit.purge_expired(session=session, now=NOW + timedelta(minutes=41)) == 1
    assert session.exec(select(RateLimitBucket)).all() == []


def test_a_window_must_divide_an_hour(session: Session) -> None:
    with pytest.raises(ValueError, match="divide an hour"):
        ratelimit.hit(
            session=session, secret="s", scope="x", key="k", limit=1, window=timedelta(hours=2)
        )
    short = ratelimit.hit(
        session=session, secret="s", scope="x", key="k", limit=1,
        window=timedelta(minutes=15), now=NOW,
    )
    assert short.window_start == datetime(2026, 5, 1, 10, 15, tzinfo=UTC)


def test_a_hit_can_join_the_callers_transaction(session: Session) -> None:
    first = ratelimit.hit(
        session=session, secret="s", scope="submit", key=ADDRESS, limit=1, now=NOW, commit=False
    )
    assert first.allowed
    session.rollback()  # the guarded write failed: its count goes with it
    assert session.exec(select(RateLimitBucket)).all() == []

    ratelimit.hit(
        session=session, secret="s", scope="submit", key=ADDRESS, limit=1, now=NOW, commit=False
    )
    session.commit()
    assert [b.hits for b in session.exec(select(RateLimitBucket)).all()] == [1]
