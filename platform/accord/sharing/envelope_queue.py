"""Big add-objects envelopes, ingested in the background by workers.

TAXII 2.1 section 5.5 lets a server answer add-objects with a status still ``pending``. An
envelope with more objects than ``TAXII_ASYNC_OBJECTS`` is stored whole (one row), answered
``202`` with a pending status at once, and ingested here through the one write path in chunks:
each chunk's objects, the status counters and the envelope's ``next_index`` commit together
(docs/ARCHITECTURE.md rule 1), so the status counts up as objects are stored and a worker that
dies mid-envelope leaves it for another to resume at the first object not yet stored.

Workers claim envelopes with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (any number of
workers, no other server); on SQLite, one writer at a time, the claim is a conditional update.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from accord import audit
from accord.db import database, utcnow
from accord.models.collections import Collection
from accord.models.envelopes import QueuedEnvelope
from accord.models.stix import TaxiiStatus
from accord.models.teams import Team
from accord.models.users import User
from accord.scheduler.jobs import job_app
from accord.sharing.ingest import Author, add_objects

log = logging.getLogger("accord.worker")

CLAIM_SECONDS = 120.0
"""How long a claim holds without progress; every stored chunk renews it."""
MAX_ATTEMPTS = 5
"""Claims after which an envelope that keeps failing is given up (its rest marked failed)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def enqueue(session: Session, status: TaxiiStatus, objects: list[Any],
            author: Author) -> QueuedEnvelope:
    """Keep ``objects`` for a worker; ``status`` becomes pending with every object counted."""
    status.status = "pending"
    status.total_count = status.pending_count = len(objects)
    status.success_count = status.failure_count = 0
    status.successes, status.failures, status.pendings = [], [], []
    queued = QueuedEnvelope(id=status.id, collection_id=status.collection_id,
                            team_id=author.team_id, user_id=author.user_id,
                            token_id=author.token_id, objects=objects, next_index=0, attempts=0)
    session.add(queued)
    return queued


def claim(session: Session, holder: str) -> QueuedEnvelope | None:
    """Claim the oldest envelope nobody is working on (or whose worker stopped renewing)."""
    now = utcnow()
    free = or_(QueuedEnvelope.claimed_until.is_(None), QueuedEnvelope.claimed_until < now)
    query = select(QueuedEnvelope.id).where(free).order_by(QueuedEnvelope.created_at).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    envelope_id = session.scalar(query)
    if envelope_id is None:
        session.rollback()
        return None
    taken = session.execute(
        update(QueuedEnvelope).where(QueuedEnvelope.id == envelope_id, free)
        .values(claimed_by=holder, claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=QueuedEnvelope.attempts + 1))
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # another worker won the race
        return None
    return session.get(QueuedEnvelope, envelope_id)


@dataclass
class ChunkOutcome:
    stored: int
    done: bool


def ingest_chunk(session: Session, envelope: QueuedEnvelope, holder: str,
                 size: int) -> ChunkOutcome:
    """Store the next ``size`` objects and count them on the status, in one transaction."""
    status = session.get(TaxiiStatus, envelope.id)
    collection = session.get(Collection, envelope.collection_id)
    if status is None or collection is None:  # status or collection deleted meanwhile
        session.delete(envelope)
        session.commit()
        return ChunkOutcome(stored=0, done=True)
    start = envelope.next_index
    chunk = envelope.objects[start:start + size]
    author = Author(team_id=envelope.team_id, user_id=envelope.user_id,
                    token_id=envelope.token_id)
    result = add_objects(session, collection, chunk, author)
    status.success_count += len(result.successes)
    status.failure_count += len(result.failures)
    status.pending_count = max(0, status.total_count - start - len(chunk))
    status.successes = [*status.successes, *result.successes]
    status.failures = [*status.failures, *result.failures]
    envelope.next_index = start + len(chunk)
    envelope.claimed_until = utcnow() + timedelta(seconds=CLAIM_SECONDS)
    done = envelope.next_index >= len(envelope.objects)
    if done:
        status.status = "complete"
        status.pending_count = 0
        _audit_complete(session, envelope, status)
        session.delete(envelope)
    session.commit()
    return ChunkOutcome(stored=result.stored, done=done)


def _audit_complete(session: Session, envelope: QueuedEnvelope, status: TaxiiStatus) -> None:
    actor = session.get(User, envelope.user_id) if envelope.user_id else None
    audit.record(session, "taxii.write.completed", actor=actor,
                 team=session.get(Team, envelope.team_id),
                 target_type="collection", target_id=envelope.collection_id,
                 details={"status": str(status.id), "total": status.total_count,
                          "failures": status.failure_count, "asynchronous": True})


def give_up(session: Session, envelope: QueuedEnvelope, reason: str) -> None:
    """Mark every object not yet stored as failed and drop the envelope (no endless retries)."""
    status = session.get(TaxiiStatus, envelope.id)
    if status is not None:
        rest = envelope.objects[envelope.next_index:]
        status.failures = [*status.failures, *(
            {"id": str(obj.get("id", ""))[:200] if isinstance(obj, dict) else "",
             "message": reason} for obj in rest)]
        status.failure_count += len(rest)
        status.pending_count = 0
        status.status = "complete"
    session.delete(envelope)
    session.commit()


def process_next(app: Flask, holder: str | None = None, chunk_size: int | None = None) -> bool:
    """Claim one envelope and ingest it to the end; False when the queue had nothing free."""
    holder = holder or worker_name()
    size = int(chunk_size or app.config.get("TAXII_ASYNC_CHUNK", 500))
    with database(app).sessionmaker() as session:
        envelope = claim(session, holder)
        if envelope is None:
            return False
        if envelope.attempts > MAX_ATTEMPTS:
            log.warning("envelope %s failed %d times; giving up", envelope.id, MAX_ATTEMPTS)
            give_up(session, envelope, "the hub could not process this object in time")
            return True
        while True:
            try:
                outcome = ingest_chunk(session, envelope, holder, size)
            except Exception:
                session.rollback()
                log.exception("envelope %s: chunk at %d failed; another attempt will resume",
                              envelope.id, envelope.next_index)
                _release(session, envelope.id)
                return True
            if outcome.done:
                return True


def _release(session: Session, envelope_id: uuid.UUID) -> None:
    session.execute(update(QueuedEnvelope).where(QueuedEnvelope.id == envelope_id)
                    .values(claimed_until=None, claimed_by=None))
    session.commit()


def drain_job() -> None:
    """Scheduler job: empty the queue (single-machine hubs need no separate worker)."""
    drain(job_app(), limit=100)


def drain(app: Flask, stop: threading.Event | None = None, limit: int | None = None) -> int:
    """Process envelopes until the queue is empty (or ``stop`` is set); returns how many."""
    done = 0
    while (stop is None or not stop.is_set()) and (limit is None or done < limit):
        if not process_next(app):
            break
        done += 1
    return done
