"""Leadership through the database: one active scheduler, any number of hot standbys.

The leader renews a row in ``scheduler_leases`` well before it expires; a standby takes the
lease only once it has expired, so at most one process runs jobs at any time (as long as
clocks agree within the lease's margin).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.db import database, utcnow
from accord.models.scheduling import SchedulerLease, SchedulerTakeover


def default_holder() -> str:
    """A name for this process: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Lease:
    """A named, expiring lock row held by ``holder``."""

    def __init__(self, app: Flask, name: str = "scheduler", holder: str | None = None,
                 ttl_seconds: float = 30.0) -> None:
        self.app = app
        self.name = name
        self.holder = holder or default_holder()
        self.ttl = timedelta(seconds=ttl_seconds)

    def acquire(self) -> bool:
        """Take or renew the lease; True if this process holds it now.

        Taking it from another holder (or for the first time) is recorded as a
        :class:`SchedulerTakeover`, so reports can show when no scheduler ran jobs.
        """
        now = utcnow()
        maker = database(self.app).sessionmaker
        with maker() as session:
            before = session.get(SchedulerLease, self.name)
            previous = ((before.holder, before.renewed_at, before.expires_at)
                        if before is not None else None)
            taken = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name)
                .where(or_(SchedulerLease.holder == self.holder,
                           SchedulerLease.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.ttl, renewed_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                if previous is None or previous[0] != self.holder:
                    self._record_takeover(session, now, previous)
                session.commit()
                return True
            session.commit()
        with maker() as session:
            if session.get(SchedulerLease, self.name) is not None:
                return False
            session.add(SchedulerLease(name=self.name, holder=self.holder,
                                       expires_at=now + self.ttl, renewed_at=now))
            self._record_takeover(session, now, None)
            try:
                session.commit()
            except IntegrityError:
                return False
        return True

    def _record_takeover(self, session: Session, now: datetime,
                         previous: tuple[str, datetime | None, datetime] | None) -> None:
        holder, renewed, expires = previous if previous is not None else (None, None, None)
        session.add(SchedulerTakeover(name=self.name, holder=self.holder, taken_at=now,
                                      previous_holder=holder, previous_renewed_at=renewed,
                                      previous_expires_at=expires))

    def release(self) -> None:
        """Give the lease up at once (on clean shutdown)."""
        with database(self.app).sessionmaker() as session:
            now = utcnow()
            session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=now - timedelta(seconds=1), renewed_at=now)
            )
            session.commit()


def scheduler_state(app: Flask, name: str = "scheduler") -> dict[str, Any]:
    """Whether a scheduler runs jobs now: ``running`` while a lease is live, else ``down``.

    A leader renews its lease every third of its length, so a scheduler that died (or never
    started) shows as down within one lease of it. Shown by ``/readyz`` and ``feeds status``.
    """
    with database(app).sessionmaker() as session:
        lease = session.get(SchedulerLease, name)
        if lease is None:
            return {"state": "down", "reason": "no scheduler has ever run"}
        if lease.expires_at < utcnow():
            return {"state": "down", "holder": lease.holder,
                    "reason": f"the last scheduler's lease ran out at "
                              f"{lease.expires_at.isoformat()}"}
        return {"state": "running", "holder": lease.holder,
                "lease_until": lease.expires_at.isoformat()}
