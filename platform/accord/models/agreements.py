"""Sharing agreements: purpose, legal basis, default IEP policy and retention (issue 17).

An agreement binds the hub's sharing team and partner teams to a stated purpose for a period.
Collections and grants may be made under one; a grant made under an agreement stops working
when the agreement ends, and objects shared in its collections take its default IEP policy
unless they carry their own (the stricter statement wins, :func:`accord.iep.stricter`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime, created_at, uuid_pk

if TYPE_CHECKING:
    from accord.models.teams import Team

agreement_parties = Table(
    "agreement_parties",
    Base.metadata,
    Column("agreement_id", Uuid, ForeignKey("agreements.id", ondelete="CASCADE"),
           primary_key=True),
    Column("team_id", Uuid, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Agreement(Base):
    """A purpose-limited sharing agreement between one providing team and partner teams."""

    __tablename__ = "agreements"

    id: Mapped[uuid_pk]
    title: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    owner_team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    # The IEP 2.0 statements (accord.iep.IepPolicy.to_json) objects shared under it default to.
    default_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # How long recipients may see an object after it was shared (None: no limit).
    retention_days: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[created_at]

    owner_team: Mapped[Team] = relationship(foreign_keys=[owner_team_id], lazy="joined")
    parties: Mapped[list[Team]] = relationship(secondary=agreement_parties,
                                               order_by="Team.name")

    def active_at(self, moment: datetime) -> bool:
        """Whether the agreement is in force at ``moment`` (``ends_at`` is exclusive)."""
        return self.starts_at <= moment and (self.ends_at is None or moment < self.ends_at)
