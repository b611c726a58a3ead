"""Cross-inject checks on STIX references: every id an inject or an action points at must be
defined by that inject or an earlier one, and a sighting must be one the team can make.

"Earlier" is play order (offset, then position in the file), the order the hub releases
injects in. A sighting's ``sighting_of_ref`` must be an SDO (STIX 2.1 section 5.7, not an SCO
or a relationship), and every team expected to post it must have received the object: an
object sent only to ``north``'s briefing can never be sighted by ``south``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from exercises.scenarios.checking import Checker, join
from exercises.scenarios.durations import DurationError, parse_iso

# STIX 2.1 section 6: cyber-observable objects, which a sighting cannot point at.
SCO_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
    "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
    "software", "url", "user-account", "windows-registry-key", "x509-certificate"})
NOT_SIGHTABLE = SCO_TYPES | {"relationship", "sighting", "marking-definition",
                             "language-content", "extension-definition"}
# References inside scenario objects that must resolve to another scenario object.
REF_FIELDS = ("source_ref", "target_ref", "sighting_of_ref", "object_refs",
              "where_sighted_refs", "observed_data_refs", "sample_refs")
EXTERNAL_TYPES = ("marking-definition--", "identity--")  # TLP markings, real teams


@dataclass(frozen=True)
class Definition:
    """Where a scenario STIX id is defined."""

    order: tuple[timedelta, int]
    inject: str
    audience: str | list[str]
    stix_type: str


def _order(inject: dict[str, Any], position: int) -> tuple[timedelta, int]:
    if not inject.get("offset"):  # released on a condition: its objects come at no known time
        return timedelta(days=36500), position
    try:
        return parse_iso(inject.get("offset")), position
    except DurationError:
        return timedelta(0), position


def _definitions(injects: list[dict[str, Any]]) -> dict[str, Definition]:
    found: dict[str, Definition] = {}
    for position, inject in enumerate(injects):
        for obj in inject["stix"]:
            found.setdefault(obj["id"], Definition(_order(inject, position), inject["id"],
                                                   inject["audience"], obj["type"]))
    return found


def _resolve(check: Checker, where: str, ref: str, defined: dict[str, Definition],
             order: tuple[timedelta, int]) -> Definition | None:
    definition = defined.get(ref)
    if definition is None:
        check.add(where, f"{ref!r} is not defined by any inject's stix objects")
        return None
    if definition.order > order:
        check.add(where, f"{ref!r} is only defined later, by inject {definition.inject!r}")
        return None
    return definition


def _object_refs(check: Checker, path: str, obj: dict[str, Any],
                 defined: dict[str, Definition], order: tuple[timedelta, int]) -> None:
    for field in REF_FIELDS:
        value = obj.get(field)
        refs = value if isinstance(value, list) else [value] if value is not None else []
        for ref in refs:
            if isinstance(ref, str) and not ref.startswith(EXTERNAL_TYPES):
                _resolve(check, join(path, field), ref, defined, order)


def _receivers(action: dict[str, Any], inject: dict[str, Any], teams: set[str]) -> set[str]:
    if action["teams"] != "all":
        return set(action["teams"])
    return teams if inject["audience"] == "all" else set(inject["audience"])


def _action_refs(check: Checker, path: str, inject: dict[str, Any], action: dict[str, Any],
                 defined: dict[str, Definition], order: tuple[timedelta, int]) -> None:
    match = action.get("match") or {}
    for key in ("sighting_of", "of"):
        if key not in match:
            continue
        where = join(join(path, "match"), key)
        definition = _resolve(check, where, match[key], defined, order)
        if definition is None or key != "sighting_of":
            continue
        if definition.stix_type in NOT_SIGHTABLE:
            check.add(where, f"a sighting can never point at a {definition.stix_type} "
                             "(sighting_of_ref must be an SDO such as an indicator)")
        if definition.audience != "all":
            missing = sorted(_receivers(action, inject, check.team_ids)
                             - set(definition.audience))
            if missing:
                check.add(where, f"team(s) {', '.join(missing)} never receive "
                                 f"{match[key]!r} (inject {definition.inject!r} goes to "
                                 f"{', '.join(definition.audience)} only)")


def check(check: Checker, injects: list[dict[str, Any]]) -> None:
    """Add a problem for every dangling, forward or unreachable STIX reference."""
    defined = _definitions(injects)
    for position, inject in enumerate(injects):
        path = check.inject_paths.get(inject["id"], f"injects[{position}]")
        order = _order(inject, position)
        for index, obj in enumerate(inject["stix"]):
            _object_refs(check, f"{join(path, 'stix')}[{index}]", obj, defined, order)
        for action in inject["expected_actions"]:
            action_path = f"{join(path, 'expected_actions')}[{action['id']}]"
            _action_refs(check, action_path, inject, action, defined, order)
