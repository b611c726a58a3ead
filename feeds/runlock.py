"""A feed's run lock: one run at a time, and a lock left by a dead process released soon.

The holder names its process (``<host>:<pid>#<run>``, and ``@`` before it for a run in the process
leading the scheduler). A lock is live while it has not expired *and* its process can still be
doing the run: on this host the process must exist; a scheduler run must belong to the process
that still holds the scheduler lease (after a failover the old leader's lock is dead at once).
The rest (another host's crashed manual run) is covered by a heartbeat: the running process
renews the lock every few seconds (:class:`Heartbeat`) to a short grace ahead, so a lock its
holder stopped renewing is stale once the grace has passed, and the next run takes it over
(marking the dead run ``interrupted``) instead of waiting for a long expiry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from accord.db import database, utcnow
from accord.models.scheduling import SchedulerLease
from accord.scheduler.lease import default_holder
from feeds.models import FeedSource

SCHEDULER_LEASE = "scheduler"
log = logging.getLogger("accord.feeds")


def new_holder(session: Session) -> str:
    """A holder name for a run in this process, marked ``@`` if it leads the scheduler."""
    me = default_holder()
    lease = session.get(SchedulerLease, SCHEDULER_LEASE, populate_existing=True)
    leader = lease is not None and lease.holder == me and lease.expires_at >= utcnow()
    return f"{'@' if leader else ''}{me}#{uuid.uuid4().hex[:12]}"


def _process(holder: str) -> tuple[bool, str, int | None]:
    """(scheduled, host, pid) of a holder name; pid None if the name is not ours."""
    scheduled = holder.startswith("@")
    name = holder.lstrip("@").split("#", 1)[0]
    host, _, pid = name.rpartition(":")
    return scheduled, host, int(pid) if pid.isdigit() else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_live(session: Session, holder: str | None, until: datetime | None,
            now: datetime | None = None) -> bool:
    """Whether a process can still be doing the run that holds this lock."""
    if holder is None or until is None or until < (now or utcnow()):
        return False
    scheduled, host, pid = _process(holder)
    if pid is None:
        return True  # an old-style holder: trust the expiry
    if host == socket.gethostname() and not _process_alive(pid):
        return False
    return not scheduled or _leads(session, f"{host}:{pid}", now)


def _leads(session: Session, process: str, now: datetime | None = None) -> bool:
    """Whether ``process`` holds the scheduler lease."""
    lease = session.get(SchedulerLease, SCHEDULER_LEASE, populate_existing=True)
    return lease is not None and lease.holder == process and lease.expires_at >= (now or utcnow())


def claim(session: Session, feed_id: uuid.UUID, holder: str, seconds: float) -> bool:
    """Take the feed's run lock unless a live run holds it; commits."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    result = session.execute(
        update(FeedSource).where(FeedSource.id == feed_id,
                                 or_(FeedSource.lock_holder.is_(None), FeedSource.lock_until < now))
        .values(lock_holder=holder, lock_until=until)
        .execution_options(synchronize_session=False))
    session.commit()
    if getattr(result, "rowcount", 0) == 1:
        return True
    held = session.execute(select(FeedSource.lock_holder, FeedSource.lock_until)
                           .where(FeedSource.id == feed_id)).one_or_none()
    if held is None or is_live(session, held[0], held[1], now):
        session.commit()
        return False
    result = session.execute(  # the holder is dead: take over, unless someone just did
        update(FeedSource).where(FeedSource.id == feed_id, FeedSource.lock_holder == held[0])
        .values(lock_holder=holder, lock_until=until)
        .execution_options(synchronize_session=False))
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def still_holds(session: Session, feed: FeedSource, holder: str, grace: float) -> bool:
    """Whether this run may go on; if so its lock is renewed in the run's own transaction.

    A scheduler run stops once its process lost the lease. Otherwise the run goes on while the
    lock is still in its name, even if a renewal came late (the database was busy): only a
    takeover, which renames the holder, stops it. The renewal is conditional on the holder, so
    it cannot race with a takeover; it commits with the run's page.
    """
    scheduled, host, pid = _process(holder)
    if scheduled and pid is not None and not _leads(session, f"{host}:{pid}"):
        return False
    result = session.execute(
        update(FeedSource).where(FeedSource.id == feed.id, FeedSource.lock_holder == holder)
        .values(lock_until=utcnow() + timedelta(seconds=grace))
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0) == 1)


def renew(session: Session, feed_id: uuid.UUID, holder: str, grace: float) -> bool:
    """Push the lock's expiry to ``grace`` seconds from now if ``holder`` still has it; commits.

    False when another run took the lock over (this one must stop at its next checkpoint).
    """
    result = session.execute(
        update(FeedSource).where(FeedSource.id == feed_id, FeedSource.lock_holder == holder)
        .values(lock_until=utcnow() + timedelta(seconds=grace))
        .execution_options(synchronize_session=False))
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


class Heartbeat:
    """Renews a run's lock every ``interval`` seconds from a thread of its own, while it runs.

    The run itself may sit for minutes in one request (up to the feed's deadline) or one big
    page; the heartbeat keeps its lock live meanwhile, and stops renewing the moment the
    process dies, so the lock is free ``grace`` seconds later. A failed renewal (the database
    busy or away) is retried at the next beat; a lock found taken over ends the heartbeat.
    """

    def __init__(self, app: Flask, feed_id: uuid.UUID, holder: str, grace: float,
                 interval: float) -> None:
        self.app, self.feed_id, self.holder = app, feed_id, holder
        self.grace, self.interval = grace, interval
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """Renew once now; False once the lock belongs to another run."""
        try:
            with database(self.app).sessionmaker() as session:
                held = renew(session, self.feed_id, self.holder, self.grace)
        except Exception as exc:  # the database may be locked or restarting: retry next beat
            log.warning("feed %s: could not renew the run lock: %s", self.feed_id, exc)
            return True
        self.lost = self.lost or not held
        return held

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.beat():
                return

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="accord-feed-heartbeat",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
