"""Issuing, updating and closing an advisory, and the STIX it carries.

An advisory's content (indicators, vulnerabilities, courses of action) and a STIX ``report``
that names them are published through the hub's one write path into a collection made for the
advisory, which only its recipients may read (at the advisory's TLP) and write (their
evidence). A new version of the advisory is a new version of the same report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest, Conflict
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import User
from accord.services import collections
from accord.sharing.ingest import Author, add_objects
from accord.sharing.timestamps import format_timestamp
from accord.tlp import Tlp, marking_ref
from advisories import notices, recipients
from advisories.models import Advisory, AdvisoryRecipient, AdvisoryState, Evidence, Severity

REPORT_NAMESPACE = uuid.UUID("4f1d6c0e-3a51-4b7b-9d3e-6a0c2b9c1d7e")


@dataclass(frozen=True)
class AdvisorySpec:
    """What the coordinator asks for; validated by :func:`advisories.api.read_spec`."""

    title: str
    severity: Severity
    tlp: Tlp
    body: str = ""
    teams: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    all_constituents: bool = False
    ack_within: timedelta = timedelta(hours=1)
    status_within: timedelta = timedelta(hours=24)
    evidence: Evidence = Evidence.NONE
    objects: list[dict[str, Any]] = field(default_factory=list)


def next_ref(session: Session, now: datetime) -> str:
    """``ADV-<year>-<number>``, numbered per year."""
    prefix = f"ADV-{now.year}-"
    count = session.scalar(select(func.count()).select_from(Advisory)
                           .where(Advisory.ref.startswith(prefix))) or 0
    return f"{prefix}{count + 1:04d}"


def report_for(advisory: Advisory, object_ids: list[str], issuer: Team,
               now: datetime) -> dict[str, Any]:
    """The STIX report of ``advisory`` at its current version (same id for every version)."""
    stamp = format_timestamp(now)
    created = format_timestamp(advisory.issued_at)
    return {
        "type": "report", "spec_version": "2.1", "id": advisory.report_id,
        "created": created, "modified": stamp, "published": stamp,
        "name": f"{advisory.ref}: {advisory.title}", "description": advisory.body,
        "report_types": ["threat-report"], "labels": ["advisory", advisory.severity.value],
        "object_refs": object_ids or [issuer.identity_id],
        "created_by_ref": issuer.identity_id,
        "object_marking_refs": [marking_ref(Tlp(advisory.tlp))],
        "external_references": [{"source_name": "accord-advisory", "external_id": advisory.ref}],
    }


def _publish(session: Session, advisory: Advisory, issuer: Team, user: User,
             objects: list[dict[str, Any]], now: datetime) -> None:
    """Store the content and the report version; any refused object refuses the advisory."""
    collection = session.get(Collection, advisory.collection_id)
    assert collection is not None
    ids = [str(obj.get("id")) for obj in objects if isinstance(obj, dict)]
    result = add_objects(session, collection, [*objects, report_for(advisory, ids, issuer, now)],
                         Author(team_id=issuer.id, user_id=user.id))
    if result.failures:
        reasons = "; ".join(f"{f['id']}: {f['message']}" for f in result.failures[:5])
        raise BadRequest(f"objects: the advisory's STIX was refused ({reasons})")


def issue(session: Session, user: User, spec: AdvisorySpec) -> Advisory:
    """Issue an advisory from ``user``'s team to its recipients; everything or nothing."""
    issuer = user.team
    teams = recipients.resolve(session, issuer, teams=spec.teams, groups=spec.groups,
                               all_constituents=spec.all_constituents)
    now = utcnow()
    ref = next_ref(session, now)
    collection = collections.create_collection(
        session, f"{ref}: {spec.title}"[:200], issuer.name,
        f"Advisory {ref} from {issuer.name}", default_tlp=spec.tlp,
        allows_red=spec.tlp == Tlp.RED, alias=ref.lower())
    for team in teams:
        collections.grant(session, str(collection.id), team.name, True, True, spec.tlp)
    advisory = Advisory(
        ref=ref, title=spec.title, severity=spec.severity, body=spec.body, tlp=spec.tlp.value,
        state=AdvisoryState.ISSUED, version=1, issuer_team_id=issuer.id, issued_by_id=user.id,
        collection_id=collection.id, report_id=f"report--{uuid.uuid5(REPORT_NAMESPACE, ref)}",
        ack_within_seconds=int(spec.ack_within.total_seconds()),
        status_within_seconds=int(spec.status_within.total_seconds()),
        evidence=spec.evidence, issued_at=now, updated_at=now)
    advisory.issuer_team = issuer
    advisory.recipients = [AdvisoryRecipient(team_id=team.id, team_name=team.name, team=team,
                                             delivered_at=now, acknowledged_version=0)
                           for team in teams]
    session.add(advisory)
    session.flush()
    _publish(session, advisory, issuer, user, spec.objects, now)
    notices.queue_for_recipients(session, advisory, "issued")
    audit.record(session, "advisory.issued", actor=user, target_type="advisory",
                 target_id=advisory.id, details={"ref": ref, "recipients": len(teams),
                                                 "tlp": spec.tlp.value,
                                                 "severity": spec.severity.value})
    return advisory


def update(session: Session, advisory: Advisory, user: User, *, title: str | None = None,
           body: str | None = None, severity: Severity | None = None,
           objects: list[dict[str, Any]] | None = None) -> Advisory:
    """A new version: the report is versioned, recipients are told, and each must acknowledge
    the update (tracked apart from their first acknowledgement)."""
    require_open(advisory)
    now = utcnow()
    advisory.title = title or advisory.title
    advisory.body = body if body is not None else advisory.body
    advisory.severity = severity or advisory.severity
    advisory.version += 1
    advisory.updated_at = now
    _publish(session, advisory, advisory.issuer_team, user, objects or [], now)
    notices.queue_for_recipients(session, advisory, f"updated-v{advisory.version}")
    audit.record(session, "advisory.updated", actor=user, target_type="advisory",
                 target_id=advisory.id, details={"ref": advisory.ref,
                                                 "version": advisory.version})
    return advisory


def close(session: Session, advisory: Advisory, user: User) -> Advisory:
    """Close the advisory: no more reminders or escalations; the record stays."""
    require_open(advisory)
    advisory.state = AdvisoryState.CLOSED
    advisory.closed_at = utcnow()
    notices.queue_for_recipients(session, advisory, "closed")
    audit.record(session, "advisory.closed", actor=user, target_type="advisory",
                 target_id=advisory.id, details={"ref": advisory.ref})
    return advisory


def require_open(advisory: Advisory) -> None:
    if advisory.state != AdvisoryState.ISSUED:
        raise Conflict(f"advisory {advisory.ref} is closed")
