"""Rate-limit buckets are purged within the hour even when nobody submits or signs in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.config import Settings
from app.main import create_app
from app.models import RateLimitBucket
from app.services.ratelimit import window_start


def _buckets(engine: Engine) -> list[RateLimitBucket]:
    with Session(engine) as session:
        return list(session.exec(select(RateLimitBucket)))


def test_app_start_purges_buckets_of_ended_hours(settings: Settings, engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(RateLimitBucket(scope="submit", key_hash="a" * 64,
                                    window_start=window_start(now) - timedelta(hours=2), hits=3))
        session.add(RateLimitBucket(scope="submit", key_hash="b" * 64,
                                    window_start=window_start(now), hits=1))
        session.commit()
    assert len(_buckets(engine)) == 2
    with TestClient(create_app(settings, engine=engine)) as client:
        client.get("/about")  # no submission, no sign-in: only the background purge can act
    remaining = _buckets(engine)
    assert [b.key_hash for b in remaining] == ["b" * 64]
