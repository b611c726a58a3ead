"""Exercise STIX: the statement marking, the ``exercise`` label and per-run object ids.

Every object the hub publishes for an exercise carries the statement marking "EXERCISE — NOT
REAL" (STIX 2.1 section 7.2.2.1, ``definition_type`` ``statement``), the label ``exercise``
(mirroring MISP's ``exercise`` taxonomy) and the scenario's TLP marking. Scenario object ids are
rewritten per run (UUIDv5 of the run id and the scenario id) so that two runs of one scenario
never share a STIX id, and references between scenario objects follow the rewrite.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from accord.sharing.exercise_separation import (
    EXERCISE_LABEL,
    EXERCISE_MARKING_ID,
    EXERCISE_STATEMENT,
)
from accord.tlp import Tlp, marking_definition, marking_ref

__all__ = ["EXERCISE_LABEL", "EXERCISE_MARKING_ID", "EXERCISE_STATEMENT", "exercise_marking",
           "prepare", "run_id", "stix_time"]


def stix_time(moment: datetime) -> str:
    """A STIX timestamp with millisecond precision (section 3.2)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def exercise_marking() -> dict[str, Any]:
    """The statement marking-definition every exercise object points to."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": EXERCISE_MARKING_ID,
        "created": "2026-01-01T00:00:00.000Z",
        "name": "EXERCISE — NOT REAL",
        "definition_type": "statement",
        "definition": {"statement": EXERCISE_STATEMENT},
    }


def run_id(exercise_id: uuid.UUID, scenario_stix_id: str) -> str:
    """The id a scenario object gets in one run: same type, UUIDv5 of run and scenario id."""
    kind = scenario_stix_id.split("--", 1)[0]
    return f"{kind}--{uuid.uuid5(exercise_id, scenario_stix_id)}"


def _remap(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_remap(item, ids) for item in value]
    return value


def prepare(objects: list[dict[str, Any]], exercise_id: uuid.UUID, scenario_ids: set[str],
            released_at: datetime, tlp: Tlp, creator_identity: str) -> list[dict[str, Any]]:
    """The objects to publish when an inject fires: ids rewritten, marked, labelled, timed."""
    ids = {sid: run_id(exercise_id, sid) for sid in scenario_ids}
    now = stix_time(released_at)
    prepared: list[dict[str, Any]] = [exercise_marking(), marking_definition(tlp)]
    for original in objects:
        obj = {key: (_remap(value, ids) if key == "id" or key.endswith(("_ref", "_refs"))
                     else value) for key, value in original.items()}
        obj.setdefault("spec_version", "2.1")
        obj.setdefault("created", now)
        obj.setdefault("modified", obj["created"])
        obj.setdefault("created_by_ref", creator_identity)
        if obj["type"] == "indicator":
            obj.setdefault("valid_from", now)
        labels = list(obj.get("labels") or [])
        obj["labels"] = labels if EXERCISE_LABEL in labels else [*labels, EXERCISE_LABEL]
        refs = [ref for ref in obj.get("object_marking_refs") or [] if isinstance(ref, str)]
        for ref in (marking_ref(tlp), EXERCISE_MARKING_ID):
            if ref not in refs:
                refs.append(ref)
        obj["object_marking_refs"] = refs
        prepared.append(obj)
    return prepared
