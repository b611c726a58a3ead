"""Reading a partner's next page while this hub stores the current one.

A pull alternates between waiting for the remote (its query, the transfer, JSON decoding) and
storing a page (validation, SQL, commit). :func:`read_ahead` runs the page iterator in a thread
of its own, at most ``depth`` pages ahead, so the two overlap. Nothing about what is stored
changes: pages are handed over in order, each still stored with its own watermark in one
transaction (rule 1), and an error of the reader reaches the run after the pages before it.
When the run stops early (an error, a lost lock, SIGTERM), the reader is cancelled through
the transport's ``cancelled`` check, so a request in flight is abandoned at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar, cast

from feeds.transport import GuardedSession

T = TypeVar("T")
_DONE = object()
JOIN_SECONDS = 5.0


def read_ahead(pages: Iterator[T], http: GuardedSession, depth: int = 1
               ) -> Generator[T, None, None]:
    """Yield the items of ``pages``, reading up to ``depth`` of them ahead in another thread
    (with ``depth`` 1: the next page is read while the run stores the one it took).

    ``http`` is the session the reader uses; it is cancelled when the consumer stops early.
    """
    handoff: queue.Queue[object] = queue.Queue()
    taken = threading.Semaphore(depth - 1)  # released each time the run takes a page
    stop = threading.Event()
    cancelled = http.cancelled
    http.cancelled = lambda: stop.is_set() or cancelled()

    def put(item: object) -> bool:
        handoff.put(item)
        while not stop.is_set():  # read on only once the run took a page
            if taken.acquire(timeout=0.1):
                return True
        return False

    def read() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
        except BaseException as exc:  # handed to the run, which records it
            put(exc)
            return
        put(_DONE)

    reader = threading.Thread(target=read, name="accord-feed-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            taken.release()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
    finally:
        stop.set()
        reader.join(JOIN_SECONDS)
        http.cancelled = cancelled
