"""taxii21-push: send a local collection's new objects to a remote collection.

Objects go in ``date_added`` order from the feed's push watermark, in envelopes of at most
``batch`` objects, each in outbound form (its effective TLP and origin stated,
:mod:`accord.sharing.outbound`). Each envelope becomes a :class:`~feeds.models.FeedPush` with
the remote's status resource (TAXII 2.1 §4.3); pending statuses are refreshed on later runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection, Status

from accord.models.stix import StixObject
from accord.sharing.exercise_separation import exercise_ids
from accord.sharing.outbound import outbound_copy
from feeds import policy
from feeds.models import FeedPush, FeedSource


@dataclass
class Batch:
    """Local objects read for one envelope: those to send, and those the policy held back."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    read: int = 0


def batches(session: Session, feed: FeedSource, batch: int) -> Iterator[Batch]:
    """Successive batches of local versions added after the push watermark."""
    after = feed.push_watermark
    while True:
        query = (select(StixObject).where(StixObject.collection_id == feed.collection_id)
                 .order_by(StixObject.date_added).limit(batch))
        if after is not None:
            query = query.where(StixObject.date_added > after)
        rows = list(session.scalars(query))
        if not rows:
            return
        current = Batch(first=rows[0].date_added, last=rows[-1].date_added, read=len(rows))
        exercise = exercise_ids(session, [row.stix_id for row in rows])
        for row in rows:
            obj = json.loads(row.document)
            reason = policy.push_verdict(feed, row, obj, exercise)
            if reason is None:
                current.objects.append(outbound_copy(obj, row.tlp, row.origin))
            else:
                current.dropped.append({"id": row.stix_id, "reason": reason})
        yield current
        after = rows[-1].date_added


def _apply_status(push: FeedPush, status: Status) -> None:
    push.status_id = status.id
    push.status = status.status
    push.total = status.total_count
    push.successes = status.success_count
    push.failures = status.failure_count
    push.pendings = status.pending_count
    push.failure_details = [
        {"id": item.get("id"), "message": item.get("message")} for item in (status.failures or [])
    ][:100]


def send(remote: Collection, feed: FeedSource, batch: Batch, run_id: Any) -> FeedPush:
    """POST one envelope and record the remote's status for it."""
    assert batch.first is not None and batch.last is not None
    status = remote.add_objects({"objects": batch.objects}, wait_for_completion=False)
    push = FeedPush(feed_id=feed.id, run_id=run_id, first_date_added=batch.first,
                    last_date_added=batch.last)
    _apply_status(push, status)
    return push


def refresh_pending(session: Session, feed: FeedSource, remote: Collection) -> int:
    """Re-read the remote status of envelopes still pending; returns how many were updated."""
    pending = list(session.scalars(select(FeedPush).where(
        FeedPush.feed_id == feed.id, FeedPush.status == "pending",
        FeedPush.status_id.is_not(None)).limit(100)))
    for push in pending:
        status = Status(f"{remote.url}../../status/{push.status_id}/", conn=remote._conn)
        _apply_status(push, status)
    return len(pending)
