"""Big add-objects envelopes waiting for a worker (TAXII 2.1 section 4.3: status "pending")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, JSONDocument, UTCDateTime, created_at


class QueuedEnvelope(Base):
    """The objects of one accepted envelope, stored until a worker has ingested them all.

    A worker claims the row (``claimed_until``), ingests ``chunk`` objects from ``next_index``
    and advances ``next_index`` in the same transaction that stored them, so a crash at any
    point resumes at the first object not yet stored and nothing is stored twice.
    """

    __tablename__ = "queued_envelopes"

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("taxii_statuses.id", ondelete="CASCADE"), primary_key=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"))
    objects: Mapped[list[Any]] = mapped_column(JSONDocument)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[created_at]
