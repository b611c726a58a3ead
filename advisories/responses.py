"""What a constituent does with an advisory: acknowledge it (each version), report its status,
and show evidence over TAXII (a sighting or course of action in the advisory's collection)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest, Forbidden
from accord.models.stix import StixObject
from accord.models.users import Role, User
from advisories.issuing import require_open
from advisories.models import (
    Advisory,
    AdvisoryRecipient,
    Evidence,
    RecipientStatus,
)

ANSWERING_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.ANALYST, Role.SERVICE})


def recipient_for(advisory: Advisory, user: User) -> AdvisoryRecipient:
    """The caller's team's row; 403 if the team is not a recipient or the role only watches."""
    row = next((r for r in advisory.recipients if r.team_id == user.team_id), None)
    if row is None:
        raise Forbidden(f"your team is not a recipient of {advisory.ref}")
    if user.role not in ANSWERING_ROLES:
        raise Forbidden(f"the {user.role.value} role cannot answer advisories")
    return row


def acknowledge(session: Session, advisory: Advisory, user: User) -> AdvisoryRecipient:
    """Acknowledge the current version (again after an update); repeating it changes nothing."""
    require_open(advisory)
    row = recipient_for(advisory, user)
    if row.acknowledged_version >= advisory.version:
        return row
    now = utcnow()
    if row.acknowledged_at is None:
        row.acknowledged_at = now
    row.acknowledged_version = advisory.version
    row.acknowledged_by_id = user.id
    audit.record(session, "advisory.acknowledged", actor=user, target_type="advisory",
                 target_id=advisory.id, details={"ref": advisory.ref,
                                                 "version": advisory.version})
    return row


def report_status(session: Session, advisory: Advisory, user: User, status: str,
                  note: str = "") -> AdvisoryRecipient:
    """Record the team's status; reporting implies receipt, so it acknowledges too."""
    require_open(advisory)
    try:
        value = RecipientStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in RecipientStatus)
        raise BadRequest(f"status: {status!r} is not one of {choices}") from None
    if len(note) > 2000:
        raise BadRequest("note: at most 2000 characters")
    row = acknowledge(session, advisory, user)
    now = utcnow()
    row.status, row.status_note, row.status_at, row.status_by_id = value, note, now, user.id
    if value in (RecipientStatus.MITIGATED, RecipientStatus.NOT_AFFECTED) \
            and row.mitigated_at is None:
        row.mitigated_at = now
    audit.record(session, "advisory.status", actor=user, target_type="advisory",
                 target_id=advisory.id, details={"ref": advisory.ref, "status": value.value})
    return row


def evidence_time(session: Session, advisory: Advisory, row: AdvisoryRecipient
                  ) -> datetime | None:
    """When the team first shared the required evidence in the advisory's collection
    (hub time, ``date_added``), or None. Stored on the row once found."""
    if advisory.evidence == Evidence.NONE:
        return None
    if row.evidence_at is None:
        row.evidence_at = session.scalar(
            select(StixObject.date_added).where(
                StixObject.collection_id == advisory.collection_id,
                StixObject.source_team_id == row.team_id,
                StixObject.stix_type == advisory.evidence.value)
            .order_by(StixObject.date_added).limit(1))
    return row.evidence_at
