"""Models of the feeds package (on accord's metadata): sources, runs, pushes, list values."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime, created_at, uuid_pk
from accord.models.collections import Collection, TlpColumn
from accord.models.teams import Team
from accord.tlp import Tlp


def _values(enum_cls: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_cls]


class FeedKind(enum.StrEnum):
    """What a feed moves, and in which direction."""

    TAXII_PULL = "taxii21-pull"
    TAXII_PUSH = "taxii21-push"
    LIST = "list"


class RunOutcome(enum.StrEnum):
    """How a run ended; ``running`` until it does, ``interrupted`` if its process died."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"


class FeedSource(Base):
    """One feed: where data comes from or goes to, on which schedule, under which rules."""

    __tablename__ = "feed_sources"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[FeedKind] = mapped_column(
        Enum(FeedKind, native_enum=False, length=20, values_callable=_values))
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id"), index=True)
    partner_team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    cron: Mapped[str | None] = mapped_column(String(100))
    # Pull: highest TLP imported (RED is dropped unless this is RED). Push: highest TLP the
    # destination may receive. List: the TLP the indicators are marked with.
    max_tlp: Mapped[Tlp] = mapped_column(TlpColumn, default=Tlp.AMBER)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret: Mapped[str | None] = mapped_column(Text)  # Fernet token, see feeds.secrets
    # Pull: the remote's date_added of the last stored page (kept as the server wrote it).
    watermark: Mapped[str | None] = mapped_column(String(64))
    # Push: the local date_added of the last object handed to the remote.
    push_watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_holder: Mapped[str | None] = mapped_column(String(64))
    lock_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]

    collection: Mapped[Collection] = relationship(lazy="joined")
    partner_team: Mapped[Team] = relationship(lazy="joined")

    @property
    def job_id(self) -> str:
        """The stable scheduler job id of this feed."""
        return f"feed:{self.id}"


class FeedRun(Base):
    """One run of one feed, with what it fetched, stored, skipped and why it failed."""

    __tablename__ = "feed_runs"

    id: Mapped[uuid_pk]
    feed_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("feed_sources.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[RunOutcome] = mapped_column(
        Enum(RunOutcome, native_enum=False, length=20, values_callable=_values),
        default=RunOutcome.RUNNING)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    already_known: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)  # excluded by sharing policy
    expired: Mapped[int] = mapped_column(Integer, default=0)  # list values that disappeared
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class FeedPush(Base):
    """One envelope sent by a push feed, and the remote's status for it (TAXII 2.1 §4.3)."""

    __tablename__ = "feed_pushes"

    id: Mapped[uuid_pk]
    feed_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("feed_sources.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("feed_runs.id", ondelete="SET NULL"), index=True)
    status_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    total: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    pendings: Mapped[int] = mapped_column(Integer, default=0)
    failure_details: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_date_added: Mapped[datetime] = mapped_column(UTCDateTime)
    last_date_added: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[created_at]


class FeedListValue(Base):
    """One value of a list feed and the indicator it became; ``present`` is False once expired."""

    __tablename__ = "feed_list_values"
    __table_args__ = (UniqueConstraint("feed_id", "value"),)

    id: Mapped[uuid_pk]
    feed_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("feed_sources.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(2000))
    indicator_id: Mapped[str] = mapped_column(String(100))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    modified: Mapped[datetime] = mapped_column(UTCDateTime)
