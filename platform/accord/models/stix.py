"""Stored STIX objects (one row per object version) and TAXII status resources."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, RepeatedUuid, UTCDateTime, created_at, uuid_pk
from accord.models.collections import TlpColumn
from accord.tlp import Tlp

BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class StixObject(Base):
    """One version of one STIX object in one collection, exactly as its author sent it.

    ``document`` is the serialized JSON text: the hub records, it never rewrites (rule 4), and
    reads can stream it without re-encoding. ``date_added`` is the server's own time, unique and
    strictly increasing per collection (rule 7).
    """

    __tablename__ = "stix_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "stix_id", "version"),
        UniqueConstraint("collection_id", "date_added"),
        Index("ix_stix_objects_collection_stix_id", "collection_id", "stix_id"),
        Index("ix_stix_objects_stix_id", "stix_id"),
        Index("ix_stix_objects_collection_type_added", "collection_id", "stix_type", "date_added"),
        Index("ix_stix_objects_collection_latest_added", "collection_id", "is_latest",
              "date_added"),
        Index("ix_stix_objects_origin", "origin"),
        Index("ix_stix_objects_expiry_recorded_expires", "expiry_recorded", "expires_at"),
    )

    pk: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE")
    )
    stix_id: Mapped[str] = mapped_column(String(300))
    stix_type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(10), default="2.1")
    # The object's version: ``modified``, else ``created``, else the server's date_added.
    version: Mapped[datetime] = mapped_column(UTCDateTime)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime)
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    tlp: Mapped[Tlp] = mapped_column(TlpColumn)
    source_team_id: Mapped[uuid.UUID] = mapped_column(RepeatedUuid, ForeignKey("teams.id"),
                                                      index=True)
    source_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    source_token_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_tokens.id"))
    # The STIX identity of the organisation that created the object (its ``created_by_ref``,
    # else the writing team's identity): kept across hubs; only the origin adds versions.
    origin: Mapped[str | None] = mapped_column(String(300))
    # Written by a team that could not read the id's existing versions: visible only to that
    # team, never served to others or synced (no existence oracle, no forged versions).
    contested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The IEP 2.0 policy in force for this version (accord.iep.IepPolicy.to_json): its own
    # IEP markings, combined with its collection's agreement default, the stricter winning.
    # No policy is SQL NULL (none_as_null), not the JSON text 'null' that every read would
    # decode again (issue 15); rows stored before 0210 may hold 'null', which reads as None.
    iep_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # When recipients stop seeing this version: the earlier of the policy's end_date and the
    # agreement's retention after date_added. The source team still sees it (rule 3).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Whether the retention audit (accord.sharing.retention) has recorded this version's
    # ``object.expired`` row: each expiry is recorded once.
    expiry_recorded: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    document: Mapped[str] = mapped_column(Text)
    # The reader-independent outbound copy of ``document``, stored at ingest so automation
    # reads do not rebuild it per row (accord.sharing.outbound.stored_outbound, issue 15):
    # "" when it is the document itself, NULL when it must be computed per read (an IEP
    # policy, an exercise collection, rows stored before migration 0210).
    outbound_text: Mapped[str | None] = mapped_column(Text)


class TaxiiStatus(Base):
    """A TAXII status resource (spec section 4.3) describing one add-objects request."""

    __tablename__ = "taxii_statuses"

    id: Mapped[uuid_pk]
    api_root: Mapped[str] = mapped_column(String(64))
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pendings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[created_at]
