"""Keeping exercise data out of live feeds (ARCHITECTURE rule 5).

Feeds, exports and pushes call these before moving data: exercise collections are never a
source or target of live sharing, and no object that carries the exercise marking or label may
leave through a live path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accord.errors import Conflict
from accord.models.collections import Collection, CollectionKind
from exercises.marking import EXERCISE_LABEL, EXERCISE_MARKING_ID


def is_exercise_collection(collection: Collection) -> bool:
    return collection.kind == CollectionKind.EXERCISE


def assert_not_exercise_collection(collection: Collection, purpose: str = "live sharing") -> None:
    """Refuse (409) to use an exercise collection for ``purpose``."""
    if is_exercise_collection(collection):
        raise Conflict(f"collection {collection.title!r} holds exercise data and cannot be used "
                       f"for {purpose}")


def is_exercise_object(obj: Mapping[str, Any]) -> bool:
    """True for the exercise marking itself and for anything marked or labelled as exercise."""
    if obj.get("id") == EXERCISE_MARKING_ID:
        return True
    refs = obj.get("object_marking_refs") or ()
    labels = obj.get("labels") or ()
    return EXERCISE_MARKING_ID in refs or EXERCISE_LABEL in labels


def exercise_objects(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Ids of the exercise objects among ``objects``."""
    return [str(obj.get("id")) for obj in objects if is_exercise_object(obj)]


def assert_no_exercise_objects(objects: Iterable[Mapping[str, Any]],
                               purpose: str = "live sharing") -> None:
    """Refuse (409) a batch for ``purpose`` if any object in it is exercise data."""
    found = exercise_objects(objects)
    if found:
        shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
        raise Conflict(f"{len(found)} exercise object(s) cannot be used for {purpose}: {shown}")
