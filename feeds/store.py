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
from feeds.policy import object_version, stored_versions

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


def add_objects(session: Session, collection: Collection, author: User,
                objects: Sequence[Mapping[str, Any]], source_team: Team) -> StoreResult:
    """Store valid new versions, attributed to ``source_team``; report the rest one by one."""
    result = StoreResult()
    held = stored_versions(session, collection.id, objects)
    owners = {stix_id: team_id for stix_id, (team_id, _) in held.items()}
    known = {(stix_id, version) for stix_id, (_, versions) in held.items()
             for version in versions}
    # Lock the collection row so date_added stays strictly increasing across writers.
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(last_date_added=Collection.last_date_added))
    session.refresh(collection, ["last_date_added"])
    clock = max(utcnow(), (collection.last_date_added or utcnow()) + TICK)
    added: dict[str, list[StixObject]] = {}
    for obj in objects:
        stix_id = str(obj.get("id"))
        version = object_version(obj)
        if version is not None and (stix_id, version) in known:
            result.known += 1  # a version held is never re-imported, nor validated again
            continue
        reason = validate(obj)
        if reason is None and version is None:
            reason = "no modified or created timestamp"
        if reason is None and owners.get(stix_id, source_team.id) != source_team.id:
            reason = "only the source team of this id may add versions"
        if reason is not None:
            result.rejected.append({"id": stix_id, "reason": reason})
            continue
        assert version is not None
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
        added.setdefault(stix_id, []).append(row)
        result.stored += 1
    _mark_latest(session, collection, added, [i for i in added if i in held])
    if result.stored:
        collection.last_date_added = clock - TICK
    session.flush()
    return result


def _mark_latest(session: Session, collection: Collection, added: dict[str, list[StixObject]],
                 updated_ids: list[str]) -> None:
    """Only the newest version of each id keeps ``is_latest``; ids new to the collection need
    no query, ids that had versions before compare with their previous latest row."""
    newest = {stix_id: max(rows, key=lambda row: row.version) for stix_id, rows in added.items()}
    for stix_id, rows in added.items():
        for row in rows:
            row.is_latest = row is newest[stix_id]
    if not updated_ids:
        return
    with session.no_autoflush:
        previous = session.scalars(select(StixObject).where(
            StixObject.collection_id == collection.id, StixObject.stix_id.in_(updated_ids),
            StixObject.is_latest.is_(True), StixObject.pk.is_not(None)))
        for row in previous:
            if row in newest.values():
                continue
            if row.version < newest[row.stix_id].version:
                row.is_latest = False
            else:
                newest[row.stix_id].is_latest = False
