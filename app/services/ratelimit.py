"""Rate limits that keep no address: counts per keyed hash and time window, in the database.

The key a caller passes (a client address, an account) is never stored: the row holds
HMAC(secret, scope | window start | key), which changes every window, so rows of different
hours cannot be linked and an address cannot be recovered without the secret. The table is
shared by every app instance; each call deletes rows whose window has ended, so nothing lives
much past its hour.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from app.models import RateLimitBucket

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Hit:
    allowed: bool
    hits: int
    limit: int
    window_start: datetime

    @property
    def retry_after(self) -> datetime:
        """When the current window ends and the count starts again."""
        return self.window_start + HOUR


def window_start(now: datetime, window: timedelta = HOUR) -> datetime:
    """The start of the window `now` falls in, windows aligned to the Unix epoch."""
    seconds = int(window.total_seconds())
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=UTC)


def key_hash(*, secret: str, scope: str, start: datetime, key: str) -> str:
    message = f"{scope}\x1f{start.isoformat()}\x1f{key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def hit(
    *,
    session: Session,
    secret: str,
    scope: str,
    key: str,
    limit: int,
    window: timedelta = HOUR,
    now: datetime | None = None,
    commit: bool = True,
    purge: bool = True,
) -> Hit:
    """Count one hit for (scope, key) in the current window and commit; allowed while the count
    is at most `limit`. A hit that is refused still counts, so hammering does not help.
    Windows are at most an hour and divide it, so every bucket ends with its hour.

    commit=False leaves the count in the caller's transaction (one commit for several hits
    and the write they guard); purge=False skips the clean-up when another call does it."""
    if window > HOUR or HOUR % window:
        raise ValueError("a rate-limit window must divide an hour")
    now = now or datetime.now(UTC)
    start = window_start(now, window)
    values: dict[str, Any] = {
        "scope": scope,
        "key_hash": key_hash(secret=secret, scope=scope, start=start, key=key),
        "window_start": start,
        "hits": 1,
    }
    table = SQLModel.metadata.tables[RateLimitBucket.__tablename__]
    # One atomic upsert, so concurrent requests on any instance count exactly.
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = (
        insert.values(**values)
        .on_conflict_do_update(
            index_elements=["scope", "key_hash", "window_start"],
            set_={"hits": table.c.hits + 1},
        )
        .returning(table.c.hits)
    )
    hits = int(session.execute(stmt).scalar_one())
    if purge:
        purge_expired(session=session, now=now, commit=False)
    if commit:
        session.commit()
    return Hit(allowed=hits <= limit, hits=hits, limit=limit, window_start=start)


def purge_expired(*, session: Session, now: datetime | None = None, commit: bool = True) -> int:
    """Delete every bucket from an hour that has ended; returns how many went."""
    cutoff = window_start(now or datetime.now(UTC), HOUR)
    result: Any = session.execute(
        delete(RateLimitBucket)
        .where(col(RateLimitBucket.window_start) < cutoff)
        # No in-Python sync of loaded buckets: SQLite gives naive datetimes, `cutoff` is aware.
        .execution_options(synchronize_session=False)
    )
    if commit:
        session.commit()
    return int(result.rowcount or 0)
