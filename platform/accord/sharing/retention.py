"""The retention audit: one ``object.expired`` audit row per collection for what expired.

A version's ``expires_at`` (the earlier of its IEP 2.0 ``end_date`` and its agreement's
retention after ``date_added``, set by ingest) takes it off every recipient's read path at
once (:mod:`accord.sharing.visibility`). This job, run by the scheduler leader, makes that
visible in the audit log (rule 6) for oversight: per run, one row per collection naming how
many versions expired since the last run, their ids (capped) and why. ``expiry_recorded`` on
each version, set in the same transaction as the row, means no expiry is recorded twice.
See docs/sharing-rules.md "IEP 2.0 policies".
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord import audit
from accord.db import job_session, utcnow
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.scheduler.jobs import job_app
from accord.sharing.timestamps import parse_timestamp

ACTION = "object.expired"
MAX_IDS = 100  # stix ids named per audit row; the count is always complete
BATCH = 5000  # versions read per query
INTERVAL_SECONDS = 300  # how often the scheduler leader runs the audit


@dataclass
class _Expired:
    """What expired in one collection during this run."""

    count: int = 0
    ids: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)


def reason(policy: dict[str, Any] | None, expires_at: datetime) -> str:
    """``end_date`` when the policy's end date set the expiry, else ``retention``."""
    end = (policy or {}).get("end_date")
    try:
        if end and parse_timestamp(str(end)) <= expires_at:
            return "end_date"
    except ValueError:
        pass
    return "retention"


def record_expired(session: Session, now: datetime | None = None) -> int:
    """Record every version that expired up to ``now`` and was not yet recorded; returns how
    many. The caller commits (the rows and the markers go together)."""
    now = now or utcnow()
    found: dict[uuid.UUID, _Expired] = defaultdict(_Expired)
    total = 0
    while True:
        rows = session.execute(
            select(StixObject.pk, StixObject.collection_id, StixObject.stix_id,
                   StixObject.iep_policy, StixObject.expires_at)
            .where(StixObject.expiry_recorded.is_(False), StixObject.expires_at <= now)
            .order_by(StixObject.expires_at, StixObject.pk).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            entry = found[row.collection_id]
            entry.count += 1
            entry.reasons[reason(row.iep_policy, row.expires_at)] += 1
            if len(entry.ids) < MAX_IDS and row.stix_id not in entry.ids:
                entry.ids.append(row.stix_id)
        session.execute(update(StixObject).where(StixObject.pk.in_([row.pk for row in rows]))
                        .values(expiry_recorded=True))
        total += len(rows)
    titles: dict[uuid.UUID, str] = {}
    if found:
        titles = {row.id: row.title for row in session.execute(
            select(Collection.id, Collection.title).where(Collection.id.in_(list(found))))}
    for collection_id, entry in found.items():
        audit.record(session, ACTION, actor_name="retention", target_type="collection",
                     target_id=collection_id, details={
                         "collection": str(collection_id),
                         "collection_title": titles.get(collection_id, ""),
                         "count": entry.count, "stix_ids": entry.ids,
                         "ids_truncated": entry.count > len(entry.ids),
                         "reason": entry.reasons.most_common(1)[0][0],
                         "reasons": dict(entry.reasons)})
    return total


def retention_job() -> None:
    """Scheduler job (leader only, like every job): record what expired since the last run."""
    with job_session(job_app()) as session:
        record_expired(session)
