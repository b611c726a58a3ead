"""Reading ahead: pages come in order, at most one ahead of the run, a reader's error after the
pages before it, and a run that stops early cancels the reader."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from feeds.prefetch import read_ahead
from feeds.transport import Limits


def test_pages_come_in_order_and_at_most_one_ahead() -> None:
    produced: list[int] = []

    def pages() -> Iterator[int]:
        for number in range(1, 8):
            produced.append(number)
            yield number

    taken = []
    for page in read_ahead(pages(), Limits().session()):
        assert len(produced) <= page + 1  # the page taken, and at most the next one read
        taken.append(page)
    assert taken == list(range(1, 8))


def test_a_readers_error_comes_after_the_pages_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("remote keeps saying 'more'")

    taken = []
    with pytest.raises(RuntimeError, match="keeps saying"):
        for page in read_ahead(pages(), Limits().session()):
            taken.append(page)
    assert taken == [1, 2]


def test_stopping_early_cancels_the_reader() -> None:
    http = Limits().session()
    original = http.cancelled
    seen_cancelled = threading.Event()

    def pages() -> Iterator[int]:
        yield 1
        # The next read is in flight when the run stops: the transport's check says stop.
        while not http.cancelled():
            seen_cancelled.wait(0.01)  # a request polls the same check (transport watchdog)
        seen_cancelled.set()
        yield 2

    reading = read_ahead(pages(), http)
    assert next(reading) == 1
    reading.close()  # the run stopped (an error, a lost lock, SIGTERM)
    assert seen_cancelled.is_set()
    assert http.cancelled is original and not http.cancelled()
