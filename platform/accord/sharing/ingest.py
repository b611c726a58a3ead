"""Storing STIX objects in a collection: the one write path (ARCHITECTURE rules 1, 3, 4, 5, 7).

Each object gets a verdict of its own: stored, already held (a duplicate, which counts as a
success), or rejected with a reason. Valid objects are kept even when others beside them are
bad. Nothing here commits: the caller's transaction stores the batch, its audit row and, for
feeds, the watermark together.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.collections import Collection, CollectionKind
from accord.models.stix import StixObject
from accord.sharing.timestamps import format_timestamp, object_version
from accord.sharing.validation import is_stix_id, validation_error
from accord.tlp import Tlp, effective_tlp
from exercises.guard import is_exercise_object

TICK = timedelta(microseconds=1)
IDS_PER_QUERY = 5000  # bind parameters per query: PostgreSQL takes 65535, some SQLite 32766
NOT_SOURCE_TEAM = "only the source team of this id may add versions of it"
REVOKED = "the object is revoked: no later versions may be added"
NO_RED = "this collection does not accept TLP:RED objects"
EXERCISE_IN_LIVE = "exercise data (exercise marking or label) cannot enter a live collection"


@dataclass(frozen=True)
class Author:
    """Who writes: the team the objects are attributed to, and the user or token behind it."""

    team_id: uuid.UUID
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


@dataclass
class IngestResult:
    """Per-object verdicts, in the shape of a TAXII status resource's details (section 4.3.1)."""

    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    stored: int = 0
    known: int = 0
    tlp_counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.successes) + len(self.failures)


@dataclass
class _Held:
    """What the hub already holds of one STIX id (in any collection)."""

    source_team_id: Any = None
    versions_here: set[datetime] = field(default_factory=set)
    versions_anywhere: set[datetime] = field(default_factory=set)
    latest_here: datetime | None = None
    revoked_at: datetime | None = None  # earliest revoked version, hub-wide


def _held(session: Session, collection_id: uuid.UUID, ids: Sequence[str]) -> dict[str, _Held]:
    """For each id already on the hub, its source team and the versions held (a query per
    ``IDS_PER_QUERY`` ids)."""
    held: dict[str, _Held] = {}
    rows = [row for start in range(0, len(ids), IDS_PER_QUERY) for row in session.execute(
        select(StixObject.stix_id, StixObject.collection_id, StixObject.source_team_id,
               StixObject.version, StixObject.revoked, StixObject.date_added)
        .where(StixObject.stix_id.in_(ids[start:start + IDS_PER_QUERY])))]
    rows.sort(key=lambda row: row.date_added)
    for stix_id, coll_id, team_id, version, revoked, _added in rows:
        entry = held.setdefault(stix_id, _Held(source_team_id=team_id))
        entry.versions_anywhere.add(version)
        if coll_id == collection_id:
            entry.versions_here.add(version)
            if entry.latest_here is None or version > entry.latest_here:
                entry.latest_here = version
        if revoked and (entry.revoked_at is None or version < entry.revoked_at):
            entry.revoked_at = version
    return held


def _lock_clock(session: Session, collection: Collection) -> datetime:
    """Lock the collection row and return the first free ``date_added`` (rule 7).

    The row lock is held until the caller commits, so batches commit in ``date_added`` order
    and a reader paging by ``added_after`` never skips an object committed late.
    """
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(last_date_added=Collection.last_date_added))
    last = session.scalar(select(Collection.last_date_added)
                          .where(Collection.id == collection.id))
    now = utcnow()
    return now if last is None or now > last else last + TICK


def _verdict(obj: Mapping[str, Any], collection: Collection, author: Author,
             entry: _Held | None, version: datetime | None, tlp: Tlp) -> str | None:
    # A version the hub already holds is the same immutable object wherever it is copied; only
    # new versions need the source team.
    if entry is not None and entry.source_team_id != author.team_id and (
            version is None or version not in entry.versions_anywhere):
        return NOT_SOURCE_TEAM
    if entry is not None and entry.revoked_at is not None and version is not None \
            and version > entry.revoked_at:
        return REVOKED
    if tlp == Tlp.RED and not collection.allows_red:
        return NO_RED
    if collection.kind != CollectionKind.EXERCISE and is_exercise_object(obj):
        return EXERCISE_IN_LIVE
    return None


def add_objects(session: Session, collection: Collection, objects: Sequence[Any],
                author: Author, *, validate: bool = True) -> IngestResult:
    """Store the valid new versions among ``objects`` in ``collection`` as written by ``author``.

    ``validate=False`` is only for objects the hub itself just built and checked.
    """
    result = IngestResult()
    clock = _lock_clock(session, collection)
    ids = sorted({obj["id"] for obj in objects
                  if isinstance(obj, Mapping) and is_stix_id(obj.get("id"))})
    held = _held(session, collection.id, ids)
    rows: list[dict[str, Any]] = []
    newest: dict[str, dict[str, Any]] = {}
    for obj in objects:
        stix_id = obj.get("id") if isinstance(obj, Mapping) else None
        shown_id = stix_id.encode("utf-8", "backslashreplace").decode() \
            if isinstance(stix_id, str) else ""  # a lone surrogate cannot be sent as UTF-8
        version = object_version(obj) if isinstance(obj, Mapping) else None
        entry = held.get(stix_id) if isinstance(stix_id, str) else None
        if entry is not None and (version in entry.versions_here
                                  or (version is None and entry.versions_here)):
            result.known += 1  # a duplicate: never stored twice, counted as a success
            result.successes.append(_detail(shown_id, version or entry.latest_here))
            continue
        reason = validation_error(obj) if validate else None
        if reason is not None:
            result.failures.append(_detail(shown_id[:300], version, reason))
            continue
        assert isinstance(obj, Mapping) and isinstance(stix_id, str)
        tlp = effective_tlp(obj, collection.default_tlp)
        reason = _verdict(obj, collection, author, entry, version, tlp)
        if reason is not None:
            result.failures.append(_detail(stix_id, version, reason))
            continue
        row = _row(collection, obj, author, version or clock, clock, tlp)
        clock += TICK
        rows.append(row)
        entry = held.setdefault(stix_id, _Held(source_team_id=author.team_id))
        entry.versions_here.add(row["version"])
        entry.versions_anywhere.add(row["version"])
        if obj.get("revoked") is True and (entry.revoked_at is None
                                           or row["version"] < entry.revoked_at):
            entry.revoked_at = row["version"]
        if stix_id not in newest or row["version"] > newest[stix_id]["version"]:
            newest[stix_id] = row
        result.stored += 1
        result.tlp_counts[tlp.value] = result.tlp_counts.get(tlp.value, 0) + 1
        result.successes.append(_detail(stix_id, row["version"]))
    if rows:
        _store(session, collection, rows, newest, held)
    return result


def _row(collection: Collection, obj: Mapping[str, Any], author: Author, version: datetime,
         date_added: datetime, tlp: Tlp) -> dict[str, Any]:
    return {
        "collection_id": collection.id, "stix_id": obj["id"], "stix_type": obj["type"],
        "spec_version": str(obj.get("spec_version", "2.1")), "version": version,
        "date_added": date_added, "is_latest": False, "revoked": obj.get("revoked") is True,
        "tlp": tlp, "source_team_id": author.team_id, "source_user_id": author.user_id,
        "source_token_id": author.token_id,
        "document": json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
    }


def _store(session: Session, collection: Collection, rows: list[dict[str, Any]],
           newest: dict[str, dict[str, Any]], held: dict[str, _Held]) -> None:
    """Insert the rows in one statement and keep ``is_latest`` true for one version per id."""
    superseded: list[str] = []
    for stix_id, row in newest.items():
        previous = held[stix_id].latest_here
        if previous is None or row["version"] > previous:
            row["is_latest"] = True
            if previous is not None:
                superseded.append(stix_id)
    if superseded:
        session.execute(update(StixObject).where(
            StixObject.collection_id == collection.id, StixObject.stix_id.in_(superseded),
            StixObject.is_latest.is_(True)).values(is_latest=False))
    # A Core insert: one executemany, without the ORM bulk path's per-row bookkeeping.
    session.execute(insert(cast(Table, StixObject.__table__)), rows)
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(last_date_added=rows[-1]["date_added"]))
    collection.last_date_added = rows[-1]["date_added"]


def _detail(stix_id: str, version: datetime | None, message: str | None = None
            ) -> dict[str, str]:
    detail = {"id": stix_id, "version": format_timestamp(version) if version else ""}
    if message is not None:
        detail["message"] = message
    return detail
