"""Keeping exercise data out of live sharing, by marking, by label and by identity (rule 5).

Exercise objects carry the statement marking "EXERCISE — NOT REAL" and the label ``exercise``
(:mod:`exercises.runs.marking` builds them); but a marking or label can be stripped, so the hub also
remembers identity: any STIX id ever stored in an exercise collection is exercise data for good,
and live collections, exports, feeds and the dashboard refuse it whatever it carries. Label
checks ignore case and surrounding spaces; the marking counts at object level and as a granular
marking (STIX 2.1 section 7.2.3) on any selector.
"""

from __future__ import annotations

from collections.abc import Collection as Ids
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from accord.errors import Conflict
from accord.models.collections import Collection, CollectionKind
from accord.models.stix import StixObject

# Deterministic: uuid5(NAMESPACE_URL, "https://accord.example/stix/exercise-statement-marking").
EXERCISE_MARKING_ID = "marking-definition--1382f6df-426c-5dcb-b0c0-35b9bac25fae"
EXERCISE_STATEMENT = "EXERCISE — NOT REAL. Accord exercise data: never use it operationally."
EXERCISE_LABEL = "exercise"
IDS_PER_QUERY = 5000


def is_exercise_collection(collection: Collection) -> bool:
    return collection.kind == CollectionKind.EXERCISE


def assert_not_exercise_collection(collection: Collection, purpose: str = "live sharing") -> None:
    """Refuse (409) to use an exercise collection for ``purpose``."""
    if is_exercise_collection(collection):
        raise Conflict(f"collection {collection.title!r} holds exercise data and cannot be used "
                       f"for {purpose}")


def _marking_refs(obj: Mapping[str, Any]) -> list[str]:
    """Object-level and granular marking refs, lower-cased (ids are case-insensitive here)."""
    refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
    granular = obj.get("granular_markings") or ()
    if isinstance(granular, list):
        refs += [item["marking_ref"] for item in granular
                 if isinstance(item, Mapping) and isinstance(item.get("marking_ref"), str)]
    return [ref.strip().lower() for ref in refs]


def is_exercise_object(obj: Mapping[str, Any]) -> bool:
    """True for the exercise marking itself and anything marked (at any level) or labelled so."""
    if str(obj.get("id") or "").strip().lower() == EXERCISE_MARKING_ID:
        return True
    labels = obj.get("labels") or ()
    if isinstance(labels, list) and any(isinstance(label, str)
                                        and label.strip().lower() == EXERCISE_LABEL
                                        for label in labels):
        return True
    return EXERCISE_MARKING_ID in _marking_refs(obj)


def exercise_objects(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids of the exercise objects (by marking or label) among ``objects``."""
    return [str(obj.get("id")) for obj in objects if is_exercise_object(obj)]


def assert_no_exercise_objects(objects: Iterable[Mapping[str, Any]],
                               purpose: str = "live sharing") -> None:
    """Refuse (409) a batch for ``purpose`` if any object in it is exercise data."""
    found = exercise_objects(objects)
    if found:
        shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
        raise Conflict(f"{len(found)} exercise object(s) cannot be used for {purpose}: {shown}")


def exercise_id_clause(stix_id: Any = StixObject.stix_id) -> ColumnElement[bool]:
    """SQL: ``stix_id`` has been stored in some exercise collection."""
    clause: ColumnElement[bool] = stix_id.in_(select(StixObject.stix_id).join(
        Collection, Collection.id == StixObject.collection_id)
        .where(Collection.kind == CollectionKind.EXERCISE))
    return clause


def exercise_ids(session: Session, ids: Sequence[str] | Ids[str]) -> set[str]:
    """The ids among ``ids`` ever stored in an exercise collection (a query per 5000 ids)."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), IDS_PER_QUERY):
        found.update(session.scalars(
            select(StixObject.stix_id).join(Collection, Collection.id == StixObject.collection_id)
            .where(Collection.kind == CollectionKind.EXERCISE,
                   StixObject.stix_id.in_(wanted[start:start + IDS_PER_QUERY])).distinct()))
    return found


def is_exercise_data(obj: Mapping[str, Any], known_exercise_ids: Ids[str]) -> bool:
    """Exercise by marking, by label, or by identity (its id was in an exercise collection)."""
    return is_exercise_object(obj) or str(obj.get("id")) in known_exercise_ids
