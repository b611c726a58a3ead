"""TAXII collections and the grants that let teams read and write them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime, created_at, uuid_pk
from accord.tlp import Tlp

if TYPE_CHECKING:
    from accord.models.teams import Team


def _values(enum_cls: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_cls]


class CollectionKind(enum.StrEnum):
    """Why a collection exists; exercise collections never mix with live ones (rule 5)."""

    SHARING = "sharing"
    EXERCISE = "exercise"
    MIRROR = "mirror"


TlpColumn = Enum(Tlp, native_enum=False, length=20, values_callable=_values)


class Collection(Base):
    """A TAXII 2.1 collection (spec section 5.2) owned by one team."""

    __tablename__ = "collections"

    id: Mapped[uuid_pk]
    api_root: Mapped[str] = mapped_column(String(64), default="api")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    alias: Mapped[str | None] = mapped_column(String(100), unique=True)
    owner_team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    kind: Mapped[CollectionKind] = mapped_column(
        Enum(CollectionKind, native_enum=False, length=20, values_callable=_values),
        default=CollectionKind.SHARING,
    )
    default_tlp: Mapped[Tlp] = mapped_column(TlpColumn, default=Tlp.AMBER)
    allows_red: Mapped[bool] = mapped_column(Boolean, default=False)
    # The sharing agreement the collection is made under (issue 17), if any.
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL"), index=True)
    # Newest server date_added handed out; new objects always get a strictly later one.
    last_date_added: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[created_at]

    owner_team: Mapped[Team] = relationship(lazy="joined")
    grants: Mapped[list[CollectionGrant]] = relationship(
        back_populates="collection", cascade="all, delete-orphan"
    )

    @property
    def is_exercise(self) -> bool:
        return self.kind == CollectionKind.EXERCISE


class CollectionGrant(Base):
    """What one team may do with one collection, and up to which TLP it may read."""

    __tablename__ = "collection_grants"
    __table_args__ = (UniqueConstraint("collection_id", "team_id"),)

    id: Mapped[uuid_pk]
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    can_read: Mapped[bool] = mapped_column(Boolean, default=True)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    max_tlp: Mapped[Tlp] = mapped_column(TlpColumn, default=Tlp.AMBER)
    # Made under a sharing agreement: the grant stops working when the agreement ends.
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]

    collection: Mapped[Collection] = relationship(back_populates="grants")
    team: Mapped[Team] = relationship(lazy="joined")
