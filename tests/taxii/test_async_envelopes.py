"""Big envelopes: 202 "pending" at once, ingested by workers, counted up, crash-safe.

TAXII 2.1 section 5.5 (a status may be pending) and 4.3 (the status resource).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.envelopes import QueuedEnvelope
from accord.models.stix import StixObject
from accord.scheduler.jobs import bind_job_app
from accord.sharing import envelope_queue, ingest
from tests.taxii.conftest import Hub, indicator
from tests.taxii.wire import TAXII, Wire

THRESHOLD = 10
CHUNK = 4


@pytest.fixture
def queued_hub(app: Flask, hub: Hub) -> Hub:
    """The hub with envelopes of more than 10 objects queued, ingested 4 at a time."""
    app.config.update(TAXII_ASYNC_OBJECTS=THRESHOLD, TAXII_ASYNC_CHUNK=CHUNK)
    return hub


def _objects(count: int, prefix: str = "198.51.100") -> list[dict[str, Any]]:
    return [indicator(f"{prefix}.{n}") for n in range(count)]


def _status(hub: Hub, wire: Wire, status_id: str) -> dict[str, Any]:
    response = requests.get(f"{hub.root_url}status/{status_id}/",
                            headers={"Accept": TAXII, "Authorization": wire.authorization},
                            timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _stored(session: Session, hub: Hub) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(StixObject).where(
        StixObject.collection_id == hub.collection.id)) or 0)


def test_small_envelopes_stay_synchronous(queued_hub: Hub, session: Session) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    status = wire.add(*_objects(THRESHOLD))
    assert (status["status"], status["success_count"], status["pending_count"]) == \
        ("complete", THRESHOLD, 0)
    assert _stored(session, queued_hub) == THRESHOLD


def test_a_big_envelope_is_pending_then_counts_up_to_complete(
        app: Flask, queued_hub: Hub, session: Session) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    objects = [*_objects(9), {"type": "indicator", "id": "not-an-id"}, *_objects(3, "203.0.113")]
    response = wire.post(*objects)
    assert response.status_code == 202
    pending = response.json()
    assert (pending["status"], pending["total_count"], pending["pending_count"],
            pending["success_count"]) == ("pending", 13, 13, 0)
    assert response.headers["Location"].endswith(f"/status/{pending['id']}/")
    assert _stored(session, queued_hub) == 0  # nothing stored before a worker runs

    with app.app_context():
        claimed = envelope_queue.claim(session, "test-worker")
        assert claimed is not None
        first = envelope_queue.ingest_chunk(session, claimed, "test-worker", CHUNK)
    assert (first.stored, first.done) == (CHUNK, False)
    counting = _status(queued_hub, wire, pending["id"])
    assert (counting["status"], counting["success_count"], counting["pending_count"]) == \
        ("pending", CHUNK, 13 - CHUNK)

    assert envelope_queue.drain(app) == 0  # still claimed by the test worker: left alone
    with app.app_context():
        while not envelope_queue.ingest_chunk(session, claimed, "test-worker", CHUNK).done:
            pass
    done = _status(queued_hub, wire, pending["id"])
    assert (done["status"], done["total_count"], done["success_count"], done["failure_count"],
            done["pending_count"]) == ("complete", 13, 12, 1, 0)
    assert [f["id"] for f in done["failures"]] == ["not-an-id"]
    assert _stored(session, queued_hub) == 12
    assert session.scalar(select(func.count()).select_from(QueuedEnvelope)) == 0


def test_a_worker_that_dies_mid_envelope_is_resumed_without_duplicates(
        app: Flask, queued_hub: Hub, session: Session, clock: ManualClock) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    pending = wire.add(*_objects(14))
    with app.app_context():
        dead = envelope_queue.claim(session, "worker-that-dies")
        assert dead is not None
        envelope_queue.ingest_chunk(session, dead, "worker-that-dies", CHUNK)
        envelope_queue.ingest_chunk(session, dead, "worker-that-dies", CHUNK)
    # The worker is gone: its claim holds until it would have renewed it.
    assert envelope_queue.drain(app) == 0
    clock.advance(seconds=envelope_queue.CLAIM_SECONDS + 1)
    assert envelope_queue.drain(app) == 1
    done = _status(queued_hub, wire, pending["id"])
    assert (done["status"], done["success_count"], done["pending_count"]) == ("complete", 14, 0)
    assert _stored(session, queued_hub) == 14
    assert sorted(s["id"] for s in done["successes"]) == \
        sorted({s["id"] for s in done["successes"]})  # every object counted once


def test_a_failing_chunk_is_retried_from_where_it_stopped(
        app: Flask, queued_hub: Hub, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    pending = wire.add(*_objects(12))
    real = ingest.add_objects  # what envelope_queue calls, patched there below
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> ingest.IngestResult:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away mid-chunk")
        return real(*args, **kwargs)

    monkeypatch.setattr(envelope_queue, "add_objects", flaky)
    assert envelope_queue.process_next(app) is True  # chunk 1 stored, chunk 2 rolled back
    assert _status(queued_hub, wire, pending["id"])["success_count"] == CHUNK
    assert envelope_queue.drain(app) == 1  # released at once, resumed at object 5
    done = _status(queued_hub, wire, pending["id"])
    assert (done["status"], done["success_count"], done["failure_count"]) == ("complete", 12, 0)
    assert _stored(session, queued_hub) == 12


def test_concurrent_workers_share_the_queue_and_store_each_object_once(
        app: Flask, queued_hub: Hub, session: Session) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    statuses = [wire.add(*_objects(11, f"10.{n}.0")) for n in range(6)]
    counts: list[int] = []
    workers = [threading.Thread(target=lambda: counts.append(envelope_queue.drain(app)))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert sum(counts) == 6  # each envelope processed by exactly one worker
    for status in statuses:
        done = _status(queued_hub, wire, status["id"])
        assert (done["status"], done["success_count"], done["failure_count"]) == \
            ("complete", 11, 0)
    assert _stored(session, queued_hub) == 66


def test_the_scheduler_drains_the_queue_on_a_single_machine(
        app: Flask, queued_hub: Hub, session: Session) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    pending = wire.add(*_objects(11))
    bind_job_app(app)
    try:
        envelope_queue.drain_job()
    finally:
        bind_job_app(None)
    assert _status(queued_hub, wire, pending["id"])["status"] == "complete"


def test_envelopes_older_than_their_claim_are_taken_in_order(
        app: Flask, queued_hub: Hub, session: Session, clock: ManualClock) -> None:
    wire = Wire.with_password(queued_hub.url, queued_hub.collection, queued_hub.analyst)
    first = wire.add(*_objects(11, "10.1.0"))
    clock.advance(timedelta(seconds=1))
    wire.add(*_objects(11, "10.2.0"))
    with app.app_context():
        claimed = envelope_queue.claim(session, "w")
    assert claimed is not None and str(claimed.id) == first["id"]
