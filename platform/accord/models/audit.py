"""The audit log: who did what to which shared data, when and from where (rule 6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime, utcnow

BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One audited action. Rows are only ever appended.

    Actor and team are kept as ids *and* names so the record stays readable after a user or
    team is renamed or removed.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_action_time", "action", "occurred_at"),
        Index("ix_audit_events_actor_time", "actor_name", "occurred_at"),
        Index("ix_audit_events_address_time", "source_address", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_name: Mapped[str | None] = mapped_column(String(80))
    team_id: Mapped[uuid.UUID | None] = mapped_column()
    team_name: Mapped[str | None] = mapped_column(String(120))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(300))
    source_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
