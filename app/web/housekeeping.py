"""Work every app instance does in the background while it serves: purging what must not linger.

Rate-limit buckets hold keyed hashes of client addresses; PRODUCT.md promises they are gone
within the hour even when no one submits or signs in (the calls that count also purge, but a
quiet hour would leave the last buckets behind). Each instance runs this loop on its own; the
DELETE is idempotent, so several instances purging at once is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.services.ratelimit import purge_expired

PURGE_INTERVAL_SECONDS = 60.0
logger = logging.getLogger(__name__)


def purge_once(engine: Engine) -> int:
    with Session(engine) as session:
        return purge_expired(session=session)


async def _purge(engine: Engine) -> None:
    try:
        await asyncio.to_thread(purge_once, engine)
    except SQLAlchemyError as exc:  # a busy or restarting database: try again next round
        logger.warning("rate-limit purge failed: %s", type(exc).__name__)


async def _purge_forever(engine: Engine, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await _purge(engine)


@asynccontextmanager
async def purging(engine: Engine, interval: float = PURGE_INTERVAL_SECONDS) -> AsyncIterator[None]:
    """Purge at start-up, then every `interval` seconds until the app stops, so a bucket
    outlives its hour by a minute at most."""
    await _purge(engine)
    task = asyncio.create_task(_purge_forever(engine, interval))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
