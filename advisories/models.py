"""Tables of the advisories package: advisories, their recipients' progress, and notices."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, UTCDateTime, created_at, uuid_pk
from accord.models.teams import Team


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AdvisoryState(enum.StrEnum):
    ISSUED = "issued"
    CLOSED = "closed"


class RecipientStatus(enum.StrEnum):
    """What a constituent reports about the advisory."""

    NOT_AFFECTED = "not-affected"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    NEEDS_HELP = "needs-help"


class Evidence(enum.StrEnum):
    """STIX a recipient must share over TAXII to show it acted (as exercise evidence works)."""

    NONE = "none"
    SIGHTING = "sighting"
    COURSE_OF_ACTION = "course-of-action"


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=20,
                values_callable=lambda members: [m.value for m in members])


class Advisory(Base):
    """One alert from the notification centre, with the deadlines each recipient must meet."""

    __tablename__ = "advisories"

    id: Mapped[uuid_pk]
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[Severity] = mapped_column(_enum(Severity, "advisory_severity"))
    body: Mapped[str] = mapped_column(Text, default="")
    tlp: Mapped[str] = mapped_column(String(20))
    state: Mapped[AdvisoryState] = mapped_column(_enum(AdvisoryState, "advisory_state"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    issuer_team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"))
    issued_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collections.id"))
    report_id: Mapped[str] = mapped_column(String(100))
    ack_within_seconds: Mapped[int] = mapped_column(Integer)
    status_within_seconds: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[Evidence] = mapped_column(_enum(Evidence, "advisory_evidence"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[created_at]

    issuer_team: Mapped[Team] = relationship(lazy="joined")
    recipients: Mapped[list[AdvisoryRecipient]] = relationship(
        back_populates="advisory", cascade="all, delete-orphan",
        order_by="AdvisoryRecipient.team_name")


class AdvisoryRecipient(Base):
    """One constituent team's progress on one advisory."""

    __tablename__ = "advisory_recipients"
    __table_args__ = (UniqueConstraint("advisory_id", "team_id"),)

    id: Mapped[uuid_pk]
    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), index=True)
    team_name: Mapped[str] = mapped_column(String(120))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[RecipientStatus | None] = mapped_column(
        _enum(RecipientStatus, "advisory_recipient_status"))
    status_note: Mapped[str] = mapped_column(String(2000), default="")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    advisory: Mapped[Advisory] = relationship(back_populates="recipients")
    team: Mapped[Team] = relationship(lazy="joined")


class AdvisoryNotice(Base):
    """A message to send (email or webhook), kept until sent: the outbox of advisories.

    ``key`` is the idempotency key: the same notice is never queued twice, and receivers see it
    in the message so a retried delivery can be recognised.
    """

    __tablename__ = "advisory_notices"

    id: Mapped[uuid_pk]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[created_at]

    advisory: Mapped[Advisory] = relationship(lazy="joined")


class AdvisoryContact(Base):
    """A constituent's addresses for advisories: where notices go and who is escalated to."""

    __tablename__ = "advisory_contacts"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(300), default="")
    escalation_email: Mapped[str] = mapped_column(String(300), default="")
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
