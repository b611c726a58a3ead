"""Teams (partner CERTs) and trust groups (named communities of teams)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, created_at, uuid_pk

if TYPE_CHECKING:
    from accord.models.users import User

trust_group_members = Table(
    "trust_group_members",
    Base.metadata,
    Column("trust_group_id", Uuid, ForeignKey("trust_groups.id", ondelete="CASCADE"),
           primary_key=True),
    Column("team_id", Uuid, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    """A partner team (usually a national CERT), known to STIX as an ``identity``."""

    __tablename__ = "teams"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    country_code: Mapped[str] = mapped_column(String(2))
    contact: Mapped[str] = mapped_column(String(300), default="")
    identity_id: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[created_at]

    users: Mapped[list[User]] = relationship(back_populates="team")
    trust_groups: Mapped[list[TrustGroup]] = relationship(
        secondary=trust_group_members, back_populates="teams"
    )

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


class TrustGroup(Base):
    """A named community of teams that share with each other (e.g. a regional CERT network)."""

    __tablename__ = "trust_groups"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[created_at]

    teams: Mapped[list[Team]] = relationship(
        secondary=trust_group_members, back_populates="trust_groups", order_by="Team.name"
    )


def new_identity_id() -> str:
    """A fresh STIX identity id for a team."""
    return f"identity--{uuid.uuid4()}"
