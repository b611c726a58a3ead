"""A feed's run lock: one run at a time, and a lock left by a dead process released at once.

The holder names its process (``<host>:<pid>#<run>``, and ``@`` before it for a run in the process
leading the scheduler). A lock is live while it has not expired *and* its process can still be
doing the run: on this host the process must exist; a scheduler run must belong to the process
that still holds the scheduler lease (after a failover the old leader's lock is dead at once).
The expiry, renewed with every page, covers the rest (another host's crashed manual run).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.scheduling import SchedulerLease
from accord.scheduler.lease import default_holder
from feeds.models import FeedSource

SCHEDULER_LEASE = "scheduler"


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
    if scheduled:
        lease = session.get(SchedulerLease, SCHEDULER_LEASE, populate_existing=True)
        if lease is None or lease.holder != f"{host}:{pid}" or lease.expires_at < (now or utcnow()):
            return False
    return True


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


def still_holds(session: Session, feed: FeedSource, holder: str) -> bool:
    """Whether this run may go on (a scheduler run stops once its process lost the lease)."""
    current = session.scalar(select(FeedSource.lock_holder).where(FeedSource.id == feed.id))
    return current == holder and is_live(session, holder, feed.lock_until)
