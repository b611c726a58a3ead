"""Storing a page of feed objects in a local collection.

Stand-in until ``accord.sharing.ingest.add_objects`` lands (issue 3): it keeps the hub's rules
that feeds rely on — STIX 2.1 validation with the ``stix2`` library's verdicts, one row per
version, server ``date_added`` strictly increasing per collection (rule 7), provenance (only
the source team adds versions of its ids, rule 4), and duplicates (same id and version) never
stored twice. Nothing here commits: the caller's transaction stores the page and its watermark.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import stix2
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import User
from accord.tlp import Tlp, effective_tlp
from feeds.policy import object_version

TICK = timedelta(microseconds=1)


@dataclass
class StoreResult:
    """What happened to each object of a page."""

    stored: int = 0
    known: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def validate(obj: Mapping[str, Any]) -> str | None:
    """Why ``obj`` is not valid STIX 2.1 (the stix2 library's verdict), or None."""
    if obj.get("spec_version") != "2.1" and obj.get("type") != "marking-definition":
        return "spec_version must be '2.1'"
    try:
        stix2.parse(dict(obj), allow_custom=True, version="2.1")
    except Exception as exc:  # stix2 raises many exception types; each is a verdict
        return str(exc).splitlines()[0][:300]
    return None


def _owners(session: Session, collection: Collection, ids: list[str]) -> dict[str, Any]:
    rows = session.execute(
        select(StixObject.stix_id, StixObject.source_team_id)
        .where(StixObject.collection_id == collection.id, StixObject.stix_id.in_(ids))
        .distinct())
    return {stix_id: team_id for stix_id, team_id in rows}


def add_objects(session: Session, collection: Collection, author: User,
                objects: Sequence[Mapping[str, Any]], source_team: Team) -> StoreResult:
    """Store valid new versions, attributed to ``source_team``; report the rest one by one."""
    result = StoreResult()
    ids = sorted({str(obj.get("id")) for obj in objects})
    owners = _owners(session, collection, ids)
    known = {(stix_id, version) for stix_id, version in session.execute(
        select(StixObject.stix_id, StixObject.version).where(
            StixObject.collection_id == collection.id, StixObject.stix_id.in_(ids)))}
    # Lock the collection row so date_added stays strictly increasing across writers.
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(last_date_added=Collection.last_date_added))
    session.refresh(collection, ["last_date_added"])
    clock = max(utcnow(), (collection.last_date_added or utcnow()) + TICK)
    latest: dict[str, StixObject] = {}
    for obj in objects:
        stix_id = str(obj.get("id"))
        reason = validate(obj)
        version = object_version(obj)
        if reason is None and version is None:
            reason = "no modified or created timestamp"
        if reason is None and owners.get(stix_id, source_team.id) != source_team.id:
            reason = "only the source team of this id may add versions"
        if reason is not None:
            result.rejected.append({"id": stix_id, "reason": reason})
            continue
        assert version is not None
        if (stix_id, version) in known:
            result.known += 1
            continue
        known.add((stix_id, version))
        owners[stix_id] = source_team.id
        tlp = effective_tlp(obj, collection.default_tlp)
        if tlp == Tlp.RED and not collection.allows_red:
            result.rejected.append({"id": stix_id, "reason": "collection does not accept TLP:RED"})
            continue
        row = StixObject(collection_id=collection.id, stix_id=stix_id, stix_type=obj["type"],
                         spec_version=str(obj.get("spec_version", "2.1")), version=version,
                         date_added=clock, is_latest=True, revoked=bool(obj.get("revoked")),
                         tlp=tlp, source_team_id=source_team.id, source_user_id=author.id,
                         document=json.dumps(obj, separators=(",", ":")))
        clock += TICK
        session.add(row)
        previous = latest.get(stix_id)
        if previous is None or previous.version < version:
            latest[stix_id] = row
        result.stored += 1
    if latest:
        _mark_latest(session, collection, latest)
    if result.stored:
        collection.last_date_added = clock - TICK
    session.flush()
    return result


def _mark_latest(session: Session, collection: Collection, latest: dict[str, StixObject]) -> None:
    """Only the newest version of each id keeps ``is_latest``."""
    session.flush()
    ids = list(latest)
    rows = session.scalars(select(StixObject).where(
        StixObject.collection_id == collection.id, StixObject.stix_id.in_(ids),
        StixObject.is_latest.is_(True)))
    newest: dict[str, StixObject] = {}
    for row in rows:
        best = newest.get(row.stix_id)
        if best is None or row.version > best.version:
            newest[row.stix_id] = row
    for row in session.scalars(select(StixObject).where(
            StixObject.collection_id == collection.id, StixObject.stix_id.in_(ids),
            StixObject.is_latest.is_(True))):
        row.is_latest = row is newest[row.stix_id]
