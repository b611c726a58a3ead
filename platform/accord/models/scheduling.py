"""Tables behind the scheduler: APScheduler's job store and the leadership lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, LargeBinary, String, Table, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime, uuid_pk

# The exact shape APScheduler 3's SQLAlchemyJobStore expects; created by migration 0005 so the
# schema is owned by Alembic, not by whichever process starts first.
scheduler_jobs = Table(
    "scheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class SchedulerLease(Base):
    """Who runs the scheduler now; a standby takes over when the lease expires."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last sign of life


class SchedulerTakeover(Base):
    """A scheduler becoming leader; with the previous holder's last renewal it bounds an outage
    (no process ran jobs between ``previous_renewed_at`` + its lease and ``taken_at``)."""

    __tablename__ = "scheduler_takeovers"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(64), index=True)
    holder: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    previous_holder: Mapped[str | None] = mapped_column(String(200))
    previous_renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
