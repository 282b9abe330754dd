"""prefetch: order kept, errors passed on, an early stop ends the producer and closes it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.services.prefetch import prefetch


def test_items_arrive_in_order() -> None:
    assert list(prefetch(lambda: iter(range(50)), depth=3)) == list(range(50))


def test_an_error_in_the_producer_reaches_the_consumer() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise ValueError("database went away")

    consumer = prefetch(produce)
    assert next(consumer) == 1
    with pytest.raises(ValueError, match="database went away"):
        next(consumer)


def test_stopping_early_closes_the_producer_in_its_own_thread() -> None:
    closed_in: list[str] = []
    produced: list[int] = []

    def produce() -> Iterator[int]:
        try:
            for i in range(1_000_000):
                produced.append(i)
                yield i
        finally:
            closed_in.append(threading.current_thread().name)

    consumer = prefetch(produce, depth=2)
    assert [next(consumer) for _ in range(3)] == [0, 1, 2]
    consumer.close()  # type: ignore[attr-defined]
    assert closed_in == ["export-prefetch"]
    assert len(produced) <= 3 + 2 + 1  # never more than depth ahead
