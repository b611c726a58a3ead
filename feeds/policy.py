"""Sharing rules at every hop of a feed (ARCHITECTURE rules 3 and 5, loop prevention).

Each check returns ``None`` when an object may move, or the reason it may not; the engine
counts and records those reasons in the :class:`~feeds.models.FeedRun`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import Conflict
from accord.models.collections import Collection, CollectionKind
from accord.models.stix import StixObject
from accord.tlp import Tlp, effective_tlp
from exercises.guard import is_exercise_object
from feeds.models import FeedSource

DROP_RED = "TLP:RED is never synced automatically"
DROP_EXERCISE = "exercise data never enters a live feed"


def assert_live_collection(collection: Collection) -> None:
    """Refuse (409) an exercise collection as the source or target of a live feed (rule 5)."""
    if collection.kind == CollectionKind.EXERCISE:
        raise Conflict(f"collection {collection.title!r} is an exercise collection and cannot be "
                       "the source or target of a live feed")


def pull_verdict(feed: FeedSource, obj: Mapping[str, Any]) -> str | None:
    """Why a pulled object must not be imported, or None.

    RED is dropped unless the feed explicitly allows RED (``max_tlp`` red); anything above the
    feed's ``max_tlp`` is dropped; exercise objects never enter a live collection.
    """
    if is_exercise_object(obj):
        return DROP_EXERCISE
    level = effective_tlp(obj, feed.collection.default_tlp)
    if level == Tlp.RED and feed.max_tlp != Tlp.RED:
        return DROP_RED
    if level > feed.max_tlp:
        return f"{level.label} is above this feed's limit {feed.max_tlp.label}"
    return None


def push_verdict(feed: FeedSource, row: StixObject, obj: Mapping[str, Any]) -> str | None:
    """Why a local object must not be pushed to the feed's remote, or None.

    Never RED; never AMBER+STRICT that another team shared with us; never above what the
    destination may receive; never back to the partner it came from; never exercise data.
    """
    if row.tlp == Tlp.RED:
        return DROP_RED
    if row.tlp == Tlp.AMBER_STRICT and row.source_team_id != feed.collection.owner_team_id:
        return "TLP:AMBER+STRICT from another team never leaves the receiving team"
    if row.tlp > feed.max_tlp:
        return f"{row.tlp.label} is above what the destination may receive ({feed.max_tlp.label})"
    if row.source_team_id == feed.partner_team_id:
        return "came from this partner (loop prevention)"
    if is_exercise_object(obj):
        return DROP_EXERCISE
    return None


def object_version(obj: Mapping[str, Any]) -> datetime | None:
    """The STIX version of an object (``modified``, else ``created``), as aware UTC."""
    text = obj.get("modified") or obj.get("created")
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def stored_versions(session: Session, collection_id: Any, objects: Iterable[Mapping[str, Any]]
                    ) -> dict[str, tuple[Any, set[datetime]]]:
    """For each id among ``objects`` already in the collection: its source team and the
    versions held. A version held is never re-imported (loop prevention), and only the
    source team may add versions of an id. One query per page."""
    ids = sorted({str(obj.get("id")) for obj in objects})
    held: dict[str, tuple[Any, set[datetime]]] = {}
    if not ids:
        return held
    rows = session.execute(
        select(StixObject.stix_id, StixObject.source_team_id, StixObject.version).where(
            StixObject.collection_id == collection_id, StixObject.stix_id.in_(ids)))
    for stix_id, team_id, version in rows:
        held.setdefault(stix_id, (team_id, set()))[1].add(version)
    return held
