"""Validation of ``match`` rules for ``stix`` evidence: which STIX write counts.

A leaf names an ``object`` kind (``indicator``, ``sighting``, ``revocation``, ``new_version``,
``created``) with its filters, plus optional ``tlp`` (the evidence must carry that TLP) and
``with_note`` (the team must also write a STIX note about it). ``any_of`` and ``all_of``
combine rules: the first of several, or all of them (evidence when the last one came).
"""

from __future__ import annotations

import re
from typing import Any

from accord.tlp import Tlp
from exercises.scenarios.checking import Checker, join

STIX_EVIDENCE = ("indicator", "sighting", "revocation", "new_version", "created")
STIX_ID = re.compile(r"^[a-z0-9][a-z0-9-]+--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
STIX_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,249}$")
LEAF_KEYS = {"object", "pattern", "pattern_contains", "sighting_of", "of", "type",
             "name_contains", "tlp", "with_note"}
COMBINATORS = ("any_of", "all_of")
MAX_DEPTH = 3


def _combined(check: Checker, entry: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
    keys = [key for key in COMBINATORS if key in entry]
    if len(keys) > 1 or set(entry) - set(keys):
        check.add(path, "a match with 'any_of' or 'all_of' takes only that one list")
        return {}
    key = keys[0]
    if depth >= MAX_DEPTH:
        check.add(join(path, key), f"matches nest at most {MAX_DEPTH} deep")
        return {}
    items = check.items(entry[key], join(path, key))
    return {key: [check_match(check, item, join(join(path, key), index), depth + 1)
                  for index, item in enumerate(items)]}


def _leaf_needs(check: Checker, kind: str, result: dict[str, Any], path: str) -> None:
    if kind == "indicator" and not ({"pattern", "pattern_contains"} & set(result)):
        check.add(path, "an indicator match needs 'pattern' or 'pattern_contains'")
    if kind == "sighting" and not ({"sighting_of", "pattern_contains"} & set(result)):
        check.add(path, "a sighting match needs 'sighting_of' (a STIX id) or "
                        "'pattern_contains' (of the sighted indicator)")
    if kind in ("revocation", "new_version") and not ({"of", "pattern_contains"} & set(result)):
        check.add(path, f"a {kind} match needs 'of' (a STIX id) or 'pattern_contains'")
    if kind == "created" and "type" not in result:
        check.add(path, "a created match needs 'type' (the STIX type the team creates)")
    if "type" in result and kind != "created":
        check.add(join(path, "type"), "only a 'created' match takes a type")
    if "type" in result and not STIX_TYPE.match(result["type"]):
        check.add(join(path, "type"), "must be a STIX type such as note or report")


def check_match(check: Checker, raw: Any, path: str, depth: int = 0) -> dict[str, Any]:
    """A normalised match rule; every problem is reported with its path."""
    entry = check.mapping(raw, path)
    if entry is None:
        return {}
    if any(key in entry for key in COMBINATORS):
        return _combined(check, entry, path, depth)
    check.known_keys(entry, LEAF_KEYS, path)
    kind = check.text(entry, "object", path, required=True)
    if kind and kind not in STIX_EVIDENCE:
        check.add(join(path, "object"), f"must be one of {', '.join(STIX_EVIDENCE)}")
    result: dict[str, Any] = {"object": kind}
    for key in ("pattern", "pattern_contains", "sighting_of", "of", "type", "name_contains"):
        value = check.text(entry, key, path)
        if value:
            result[key] = value
    _leaf_needs(check, kind, result, path)
    for key in ("sighting_of", "of"):
        if key in result and not STIX_ID.match(result[key]):
            check.add(join(path, key), "must be a STIX id such as indicator--<uuid>")
    if "tlp" in entry:
        try:
            level = Tlp.parse(str(entry["tlp"]))
            if level == Tlp.RED:
                check.add(join(path, "tlp"), "exercise collections never carry TLP:RED")
            result["tlp"] = level.value
        except ValueError as exc:
            check.add(join(path, "tlp"), str(exc))
    note = entry.get("with_note", False)
    if not isinstance(note, bool):
        check.add(join(path, "with_note"), "must be true or false")
    elif note:
        result["with_note"] = True
    return result
