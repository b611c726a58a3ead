"""The copy of a stored object that leaves the hub: its effective TLP and origin made explicit.

Every outbound path (feed pushes, TAXII answers to service accounts such as a remote hub's pull,
bundle exports) sends this copy, so the next hop can neither file the object under a lower TLP
(rule 3: TLP never decreases across a hop) nor lose who created it (rule 4: only the origin adds
versions). Two fields may be added, never changed: the object's effective TLP as an OASIS TLP
2.0 ``object_marking_refs`` entry when its object-level markings do not already state it (an
unmarked object takes its collection's default; a granular or partner-defined level is lifted
to the object), and ``created_by_ref`` (STIX 2.1 section 3.2, common to SDOs and SROs) naming
the origin when the object names no creator. An object served from an exercise collection
also carries the exercise marking, so no live hub can take it for real data. The hub compares
versions in this form too, so a copy coming back from another hub is recognised as the same
version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from accord.sharing.exercise_separation import EXERCISE_MARKING_ID, is_exercise_object
from accord.tlp import Tlp, stamp


def outbound_copy(obj: Mapping[str, Any], level: Tlp, origin: str | None,
                  exercise: bool = False) -> dict[str, Any]:
    """``obj`` with its effective TLP and origin stated (marking-definitions are left alone);
    ``exercise``: from an exercise collection, so it also carries the exercise marking."""
    if obj.get("type") == "marking-definition":
        return dict(obj)
    copy = stamp(obj, level) or dict(obj)
    if origin and "created_by_ref" not in copy and "created" in copy:
        copy["created_by_ref"] = origin
    if exercise and not is_exercise_object(copy):
        copy["object_marking_refs"] = [*copy.get("object_marking_refs", []), EXERCISE_MARKING_ID]
    return copy


def outbound_document(document: str, level: Tlp, origin: str | None,
                      exercise: bool = False) -> str:
    """The outbound JSON text of a stored document (the stored text itself when unchanged)."""
    obj = json.loads(document)
    if not isinstance(obj, dict):
        return document
    copy = outbound_copy(obj, level, origin, exercise)
    return document if copy == obj else json.dumps(copy, separators=(",", ":"),
                                                   ensure_ascii=False)


def fingerprint(obj: Mapping[str, Any], level: Tlp, origin: str | None) -> str:
    """What makes two copies of one version the same: their outbound form, keys sorted."""
    return json.dumps(outbound_copy(obj, level, origin), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
