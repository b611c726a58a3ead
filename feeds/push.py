"""taxii21-push: send a local collection's new objects to a remote collection.

Objects go in ``date_added`` order from the feed's push watermark, in envelopes of at most
``batch`` objects, each in outbound form (its effective TLP and origin stated,
:mod:`accord.sharing.outbound`), and at most the API root's ``max_content_length`` bytes
(TAXII 2.1 §4.1). Versions the remote already holds (its manifest, §5.3) are not sent again,
so ``stored`` counts only what is new there. An envelope the remote refuses (413, 500, ...) is
bisected until the objects it refuses are isolated; those are dropped with the reason and the
rest go through. Each envelope becomes a :class:`~feeds.models.FeedPush` with the remote's
status resource (§4.3); pending statuses are refreshed on later runs.

IEP 2.0 (issue 17): expired versions and, to a plain ``http://`` remote, versions whose policy
requires encryption in transit are dropped with the reason (:func:`feeds.policy.push_verdict`);
the others carry their IEP marking, whose definition (and the hub identity naming a hidden
source) is sent ahead of the first object using it (:mod:`accord.sharing.carried`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection, Status

from accord import authz
from accord.models.stix import StixObject
from accord.sharing.carried import Carrier
from accord.sharing.exercise_separation import exercise_ids
from accord.sharing.outbound import outbound_copy
from feeds import policy
from feeds.models import FeedPush, FeedSource
from feeds.pull import parse_timestamp


@dataclass
class Batch:
    """Local objects read for one envelope: those to send, and those the policy held back."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    read: int = 0


class AgreementNotInForce(RuntimeError):
    """The collection is made under a sharing agreement that does not cover the partner now."""

    plain_message = True  # the run's error is the message itself


def require_agreement(session: Session, feed: FeedSource) -> None:
    """Push nothing to a partner the collection's sharing agreement does not cover now (ended,
    not started, or not a party): the same rule as its grants (``accord.authz``)."""
    refusal = authz.agreement_refusal(session, feed.collection, feed.partner_team_id)
    if refusal is not None:
        raise AgreementNotInForce(f"nothing pushed: {refusal}")


def batches(session: Session, feed: FeedSource, batch: int, hub_name: str) -> Iterator[Batch]:
    """Successive batches of local versions added after the push watermark; ``hub_name``
    names the hub in place of a source the IEP policy hides."""
    after = feed.push_watermark
    carrier = Carrier(session, hub_name)  # a remote is never the source team
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
                carry = carrier.carry(obj, row.iep_policy, row.source_team_id)
                current.objects.extend(carrier.take())
                if carrier.passes(obj):
                    current.objects.append(outbound_copy(obj, row.tlp, row.origin,
                                                         carry=carry))
            else:
                current.dropped.append({"id": row.stix_id, "reason": reason})
        yield current
        after = rows[-1].date_added


ENVELOPE_OVERHEAD = len(b'{"objects": []}')
MANIFEST_CHUNK = 40
NOT_ISOLATED = (401, 403, 404, 405, 406, 415)  # the remote refuses us, not one object


def _size(obj: dict[str, Any]) -> int:
    return len(json.dumps(obj).encode()) + 2  # and the ", " joining it to the next


def envelopes(objects: list[dict[str, Any]], max_bytes: int | None
              ) -> tuple[list[list[dict[str, Any]]], list[dict[str, Any]]]:
    """Objects grouped in envelopes under ``max_bytes``; those too large alone, as dropped."""
    if max_bytes is None:
        return ([objects] if objects else []), []
    groups: list[list[dict[str, Any]]] = []
    dropped: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    used = ENVELOPE_OVERHEAD
    for obj in objects:
        size = _size(obj)
        if ENVELOPE_OVERHEAD + size > max_bytes:
            dropped.append({"id": obj.get("id"), "reason": f"{size} bytes is over the remote's "
                                                           f"max_content_length of {max_bytes}"})
            continue
        if current and used + size > max_bytes:
            groups.append(current)
            current, used = [], ENVELOPE_OVERHEAD
        current.append(obj)
        used += size
    if current:
        groups.append(current)
    return groups, dropped


def version_of(obj: dict[str, Any]) -> tuple[str, datetime | None]:
    """(id, version time) of an object, as a manifest names it (TAXII 2.1 §3.6)."""
    stamp = obj.get("modified") or obj.get("created") or obj.get("version")
    try:
        moment = parse_timestamp(stamp) if isinstance(stamp, str) else None
    except ValueError:
        moment = None
    return str(obj.get("id")), moment


def not_held(remote: Collection, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects whose version the remote's manifest does not list yet."""
    held = _held_by_remote(remote, objects)
    return [obj for obj in objects if version_of(obj) not in held]


def _held_by_remote(remote: Collection, objects: list[dict[str, Any]]
                    ) -> set[tuple[str, datetime | None]]:
    """(id, version) pairs the remote's manifest already lists; empty if it cannot say."""
    ids = sorted({str(obj["id"]) for obj in objects})
    held: set[tuple[str, datetime | None]] = set()
    for start in range(0, len(ids), MANIFEST_CHUNK):
        try:
            manifest = remote.get_manifest(id=",".join(ids[start:start + MANIFEST_CHUNK]),
                                           version="all")
        except (requests.HTTPError, TAXIIServiceException, ValueError):
            return set()  # no usable manifest: send everything, the remote dedups
        records = manifest.get("objects") if isinstance(manifest, dict) else None
        for record in records if isinstance(records, list) else []:
            if isinstance(record, dict) and record.get("id") and record.get("version"):
                held.add(version_of(record))
    return held


@dataclass
class Delivery:
    """What became of one envelope: the remote's statuses, and the objects it refused."""

    statuses: list[Status] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


def _refusal(exc: requests.HTTPError) -> str:
    response = exc.response
    status = response.status_code if response is not None else "?"
    reason = (response.reason or "") if response is not None else ""
    return f"remote refused it: HTTP {status} {reason}".rstrip()


def deliver(remote: Collection, objects: list[dict[str, Any]]) -> Delivery:
    """POST ``objects``; when refused, bisect to isolate the objects the remote refuses."""
    try:
        status = remote.add_objects({"objects": objects}, wait_for_completion=False)
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else None
        if code in NOT_ISOLATED:
            raise
        if len(objects) == 1:
            return Delivery(refused=[{"id": objects[0].get("id"), "reason": _refusal(exc)}])
        middle = len(objects) // 2
        first, second = deliver(remote, objects[:middle]), deliver(remote, objects[middle:])
        return Delivery(first.statuses + second.statuses, first.refused + second.refused)
    return Delivery(statuses=[status])


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


def record(feed: FeedSource, batch: Batch, status: Status, run_id: Any) -> FeedPush:
    """The FeedPush row of one envelope the remote answered with ``status``."""
    assert batch.first is not None and batch.last is not None
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
