"""The oversight report of one agreement over one period (issue 17).

For a data-protection officer or a joint committee: what was shared under the agreement and with
whom, what each partner read (from the audit log: TAXII, API and web reads and exports of the
agreement's collections), what expired (``object.expired`` audit rows) and what exports held
back and why (their ``held_back`` details). Names, not ids, wherever a name exists.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.errors import BadRequest
from accord.models.agreements import Agreement
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.oversight.detail import agreement_collections, agreement_grants, summary
from accord.oversight.wording import policy_lines, retention_words

EXPIRED_ACTION = "object.expired"
READ_KINDS = (("export", "exports"), (".read", "reads"), (".refused", "reads"))
"""Audit actions of the read paths: any action naming an export is an export (``cli.export``,
``web.export``...), any other ``<area>.read.<what>`` a read (``taxii.read.objects``,
``web.read.collection``, ``api.read.objects``...), and a refused request (``taxii.refused``,
``web.refused``) a refused read."""


@dataclass
class Shared:
    """Objects added to one collection by one team at one TLP and type in the period."""

    collection: str
    source: str
    tlp: str
    stix_type: str
    count: int


@dataclass
class Reading:
    """What one team did with one collection in the period, from the audit log."""

    team: str
    collection: str
    kind: str
    requests: int = 0
    objects: int = 0
    refused: int = 0
    last: datetime | None = None


@dataclass
class Withdrawn:
    """An object that expired (retention or validity) or was held back from an export."""

    when: datetime
    collection: str
    subject: str
    reason: str
    team: str = ""


@dataclass
class OversightReport:
    """Everything one report shows; renderers turn it into Markdown, HTML, JSON or CSV."""

    agreement: dict[str, Any]
    policy: list[tuple[str, str]]
    retention: str
    start: datetime
    end: datetime
    generated: datetime
    collections: list[str]
    recipients: dict[str, list[str]]
    shared: list[Shared] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    expired: list[Withdrawn] = field(default_factory=list)
    held_back: list[Withdrawn] = field(default_factory=list)

    @property
    def shared_total(self) -> int:
        return sum(row.count for row in self.shared)


def build_report(session: Session, agreement: Agreement, start: datetime | None = None,
                 end: datetime | None = None) -> OversightReport:
    """The report for ``[start, end)``: default from the agreement's start to now."""
    now = utcnow()
    start = start or agreement.starts_at
    end = end or now
    if end <= start:
        raise BadRequest("to: the period must end after it starts")
    collections = agreement_collections(session, agreement)
    recipients: dict[str, list[str]] = defaultdict(list)
    for collection, grant in agreement_grants(session, agreement):
        if grant.can_read:
            recipients[collection.title].append(grant.team.name)
    report = OversightReport(
        agreement=summary(agreement, now), policy=policy_lines(agreement.default_policy),
        retention=retention_words(agreement.retention_days), start=start, end=end,
        generated=now, collections=[c.title for c in collections], recipients=dict(recipients))
    by_id = {c.id: c for c in collections}
    names = _Names(session)
    report.shared = _shared(session, by_id, start, end)
    events = _events(session, by_id, start, end)
    report.readings = _readings(events)
    report.held_back = _held_back(events, names)
    report.expired = _expired(session, by_id, start, end, names)
    return report


def _shared(session: Session, collections: dict[uuid.UUID, Collection], start: datetime,
            end: datetime) -> list[Shared]:
    if not collections:
        return []
    rows = session.execute(
        select(StixObject.collection_id, Team.name, StixObject.tlp, StixObject.stix_type,
               func.count())
        .join(Team, Team.id == StixObject.source_team_id)
        .where(StixObject.collection_id.in_(collections), StixObject.date_added >= start,
               StixObject.date_added < end)
        .group_by(StixObject.collection_id, Team.name, StixObject.tlp, StixObject.stix_type))
    shared = [Shared(collections[cid].title, team, tlp.value, stix_type, count)
              for cid, team, tlp, stix_type, count in rows]
    return sorted(shared, key=lambda s: (s.collection, s.source, s.tlp, s.stix_type))


def _keys(collections: dict[uuid.UUID, Collection]) -> dict[str, Collection]:
    """How audit rows name a collection: its id, or the alias a TAXII URL used."""
    keys = {str(c.id): c for c in collections.values()}
    keys.update({c.alias: c for c in collections.values() if c.alias})
    return keys


def _events(session: Session, collections: dict[uuid.UUID, Collection], start: datetime,
            end: datetime) -> list[tuple[AuditEvent, Collection]]:
    """Audit rows about the collections in the period, each with its collection."""
    keys = _keys(collections)
    if not keys:
        return []
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "collection",
                                 AuditEvent.target_id.in_(list(keys)),
                                 AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end)
        .order_by(AuditEvent.occurred_at, AuditEvent.id))
    return [(event, keys[str(event.target_id)]) for event in rows]


def _kind(action: str) -> str | None:
    for needle, kind in READ_KINDS:
        if needle in action:
            return kind
    return None


def _readings(events: Iterable[tuple[AuditEvent, Collection]]) -> list[Reading]:
    found: dict[tuple[str, str, str], Reading] = {}
    for event, collection in events:
        kind = _kind(event.action)
        if kind is None:
            continue
        title = collection.title
        team = event.team_name or event.actor_name or "unknown"
        row = found.setdefault((team, title, kind), Reading(team, title, kind))
        if event.outcome == "success":
            row.requests += 1
            objects = (event.details or {}).get("objects", 0)
            row.objects += objects if isinstance(objects, int) else 0
        else:
            row.refused += 1
        row.last = event.occurred_at
    return sorted(found.values(), key=lambda r: (r.team, r.collection, r.kind))


class _Names:
    """Readable names for STIX ids (name, value or type), looked up once per id."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[str, str] = {}

    def __call__(self, stix_id: str) -> str:
        if stix_id not in self.cache:
            self.cache[stix_id] = self._lookup(stix_id)
        return self.cache[stix_id]

    def _lookup(self, stix_id: str) -> str:
        document = self.session.scalar(
            select(StixObject.document).where(StixObject.stix_id == stix_id)
            .order_by(StixObject.version.desc()).limit(1))
        kind = stix_id.split("--", 1)[0].replace("-", " ")
        if document is None:
            return f"{kind} {stix_id}"
        obj = json.loads(document)
        name = obj.get("name") or obj.get("value") or obj.get("pattern")
        return f"{kind} “{name}”" if isinstance(name, str) and name else f"{kind} {stix_id}"


def _held_back(events: Iterable[tuple[AuditEvent, Collection]], names: _Names
               ) -> list[Withdrawn]:
    held: list[Withdrawn] = []
    for event, collection in events:
        items = (event.details or {}).get("held_back")
        if not isinstance(items, list):
            continue
        title = collection.title
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                held.append(Withdrawn(event.occurred_at, title, names(item["id"]),
                                      str(item.get("reason") or "not stated"),
                                      event.team_name or event.actor_name or ""))
    return held


def _stix_ids(details: dict[str, Any]) -> list[str]:
    many = details.get("stix_ids")
    if isinstance(many, list):
        return [item for item in many if isinstance(item, str)]
    one = details.get("stix_id")
    return [one] if isinstance(one, str) else []


def _expired(session: Session, collections: dict[uuid.UUID, Collection], start: datetime,
             end: datetime, names: _Names) -> list[Withdrawn]:
    """``object.expired`` rows naming one of the collections (by id, alias or title)."""
    keys = {**{c.title: c for c in collections.values()}, **_keys(collections)}
    found: list[Withdrawn] = []
    for event in session.scalars(
            select(AuditEvent).where(AuditEvent.action == EXPIRED_ACTION,
                                     AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)):
        details = event.details or {}
        ref = details.get("collection") or (
            event.target_id if event.target_type == "collection" else None)
        found_in = keys.get(str(ref)) if ref is not None else None
        if found_in is None:
            continue
        reason = {"retention": "retention period reached",
                  "end_date": "the policy's end date passed"}.get(
            str(details.get("reason")), str(details.get("reason") or "not stated"))
        found.extend(Withdrawn(event.occurred_at, found_in.title, names(stix_id), reason)
                     for stix_id in _stix_ids(details))
    return found


def count_by(rows: Iterable[Shared], key: str) -> list[tuple[str, int]]:
    """Totals of shared objects per ``tlp``, ``stix_type``, ``source`` or ``collection``."""
    totals: Counter[str] = Counter()
    for row in rows:
        totals[str(getattr(row, key))] += row.count
    return sorted(totals.items())
