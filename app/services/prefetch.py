"""Run a producer of batches in a background thread, a few batches ahead of its consumer.

An export spends about half its time in the database driver and half formatting rows. With
PostgreSQL the driver waits for another process, releasing the GIL, so reading the next batch
while this one is written overlaps that wait. (Web exports on SQLite do without it: there the
reading is in-process work that mostly contends for the GIL; app/web/exports.py.)

The queue is bounded (memory stays flat), the producer runs entirely in its own thread (its
Session is opened and closed there), errors reach the consumer, and closing the consumer early
stops the producer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure(Generic[T]):
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(produce: Callable[[], Iterator[T]], *, depth: int = 2) -> Iterator[T]:
    """The items `produce()` yields, in order, produced up to `depth` items ahead."""
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        source = produce()
        try:
            for item in source:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            put(_Failure[T](error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # in this thread: the producer's session closes where it was opened

    worker = threading.Thread(target=run, name="export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
