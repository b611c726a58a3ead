"""Paging while others write: no object skipped or repeated (section 3.5, ARCHITECTURE rule 7).

Two writer threads keep posting small batches while two readers page through the collection:
one follows ``next``, the other moves ``added_after`` to each page's X-TAXII-Date-Added-Last.
Both readers stop by themselves once the writers are done and a page comes back empty.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from tests.taxii.conformance.conftest import Site
from tests.taxii.conftest import indicator
from tests.taxii.wire import Wire

BATCHES = 30
MAX_REQUESTS = 3000
LAST = "X-TAXII-Date-Added-Last"


@dataclass
class Reader:
    """One reader's walk: the ids it saw, in order, and where it is."""

    wire: Wire
    writer_done: threading.Event
    seen: list[str] = field(default_factory=list)
    after: str | None = None
    calls: int = 0
    calls_while_writing: int = 0

    def _count(self) -> None:
        self.calls += 1
        self.calls_while_writing += not self.writer_done.is_set()

    def page(self, **params: str) -> requests.Response:
        self._count()
        if self.after is not None:
            params["added_after"] = self.after
        response = self.wire.get(limit="4", **params)
        assert response.status_code == 200, response.text
        return response

    def _take(self, response: requests.Response) -> bool:
        """Record a page; False when it was empty."""
        objects = response.json().get("objects", [])
        self.seen.extend(obj["id"] for obj in objects)
        if objects:
            self.after = response.headers[LAST]
        return bool(objects)

    def by_next(self) -> None:
        """Follow ``next`` while ``more``; at the end resume from the last page's date."""
        self.walk(self._next_round)

    def by_added_after(self) -> None:
        self.walk(lambda: self._take(self.page()))

    def _next_round(self) -> bool:
        response = self.page()
        got = self._take(response)
        while response.json().get("more"):
            self._count()
            response = self.wire.get(limit="4", next=response.json()["next"],
                                     **({"added_after": self.after} if self.after else {}))
            assert response.status_code == 200, response.text
            self._take(response)
        return got

    def walk(self, step: Callable[[], bool]) -> None:
        """Page until the writer has finished and a page after that was empty."""
        while self.calls < MAX_REQUESTS:
            finished = self.writer_done.is_set()
            if not step() and finished:
                return


def _write(wire: Wire, written: list[str], seed: int) -> None:
    rng = random.Random(seed)
    for batch in range(BATCHES):
        objects = [indicator(f"10.{seed}.{batch}.{n}") for n in range(rng.randint(1, 4))]
        wire.add(*objects)
        written.extend(obj["id"] for obj in objects)


def _writers(wires: list[Wire], written: list[str], done: threading.Event) -> None:
    """Two writers at once, so batches race for the collection's clock."""
    try:
        run_together(*(lambda wire=wire, seed=seed: _write(wire, written, seed)
                       for seed, wire in enumerate(wires, 7)))
    finally:
        done.set()


def run_together(*targets: Callable[[], None]) -> None:
    """Run ``targets`` in threads; re-raise the first failure here (bounded wait)."""
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    if errors:
        raise errors[0]


def test_readers_see_every_object_once_while_a_writer_posts(site: Site) -> None:
    """Keyset ``next`` and ``added_after`` paging both survive concurrent writes."""
    done = threading.Event()
    written: list[str] = []
    site.wire().add(*(indicator(f"192.0.2.{n}") for n in range(5)))
    before = [obj["id"] for obj in site.wire().get().json()["objects"]]
    readers = [Reader(site.wire(), done), Reader(site.wire(site.reader), done)]
    writers = [site.wire(site.writer), site.wire()]
    run_together(lambda: _writers(writers, written, done), readers[0].by_next,
                 readers[1].by_added_after)
    assert len(written) >= 2 * BATCHES
    final = [obj["id"] for obj in site.wire().get(limit="1000").json()["objects"]]
    assert final[:5] == before and sorted(final) == sorted(before + written)
    for reader in readers:
        assert reader.calls < MAX_REQUESTS and reader.calls_while_writing >= 5
        assert reader.seen == final
