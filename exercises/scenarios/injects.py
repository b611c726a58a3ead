"""Validation of a scenario's injects, their STIX objects and their expected actions."""

from __future__ import annotations

import warnings
from typing import Any

from exercises.scenarios import conditions, matches, per_team, references
from exercises.scenarios.checking import SLUG, Checker, join
from exercises.scenarios.durations import parse_iso

CHANNELS = ("inbox", "taxii", "webhook")
EVIDENCE_KINDS = ("acknowledge", "response", "stix", "manual", "receipt")
STIX_ID = matches.STIX_ID
INJECT_KEYS = {"id", "offset", "phase", "from", "title", "body", "audience", "channels", "hold",
               "controller_notes", "stix", "expected_actions", "release_on", "attachments",
               "per_team"}
MAX_WEIGHT = 1000
ACTION_KEYS = {"id", "teams", "text", "deadline", "objective", "weight", "evidence", "match",
               "decision_options", "deadline_from", "joint"}
# Timestamps a scenario may leave out; the hub sets them when the inject fires.
PLACEHOLDER_TIME = "2000-01-01T00:00:00.000Z"


def _audience(check: Checker, raw: Any, path: str, allowed: set[str] | None = None
              ) -> str | list[str]:
    """``all`` or a list of known team placeholders (a subset of ``allowed`` when given).

    For an expected action, ``all`` means every team in the inject's audience.
    """
    if raw is None or raw == "all":
        return "all"
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        check.add(path, "must be 'all' or a non-empty list of team placeholders")
        return []
    result: list[str] = []
    for index, value in enumerate(values):
        name = str(value)
        if name not in check.team_ids:
            check.add(join(path, index), f"unknown team placeholder {name!r}")
        elif allowed is not None and name not in allowed:
            check.add(join(path, index), f"team {name!r} is not in the inject's audience")
        elif name not in result:
            result.append(name)
    if allowed is None and result and set(result) == check.team_ids:
        return "all"  # every team listed is everyone: one shared play collection, not briefings
    return result


def _stix_object(check: Checker, raw: Any, path: str, seen: set[str]) -> dict[str, Any] | None:
    obj = check.mapping(raw, path)
    if obj is None:
        return None
    ident, kind = obj.get("id"), obj.get("type")
    if not isinstance(kind, str) or not kind:
        check.add(join(path, "type"), "is required")
        return None
    if not isinstance(ident, str) or not STIX_ID.match(ident) or not ident.startswith(kind + "--"):
        check.add(join(path, "id"), f"must be a STIX id '{kind}--<uuid>'")
        return None
    if ident in seen:
        check.add(join(path, "id"), f"duplicate STIX id {ident!r} in the scenario")
    seen.add(ident)
    probe = {"spec_version": "2.1", "created": PLACEHOLDER_TIME, "modified": PLACEHOLDER_TIME,
             **obj}
    if kind == "indicator":
        probe.setdefault("valid_from", PLACEHOLDER_TIME)
    import stix2  # imported when a scenario's STIX is checked, not by every command (issue 15)
    from stix2.exceptions import STIXError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stix2.parse(probe, allow_custom=True, version="2.1")
    except (STIXError, ValueError, TypeError) as exc:
        check.add(path, f"not a valid STIX 2.1 object: {exc}")
    return dict(obj)


def label(parent: str, field: str, raw: Any, index: int, seen: set[str]) -> str:
    """``injects[GR-07]`` when the item has a usable, new id; ``injects[3]`` otherwise."""
    ident = raw.get("id") if isinstance(raw, dict) else None
    text = str(ident).strip() if isinstance(ident, str | int) and not isinstance(ident, bool) \
        else ""
    key = text if SLUG.match(text) and text not in seen else str(index)
    return f"{join(parent, field)}[{key}]"


def _action(check: Checker, raw: Any, path: str, audience: set[str], seen: set[str]
            ) -> dict[str, Any] | None:
    entry = check.mapping(raw, path)
    if entry is None:
        return None
    check.known_keys(entry, ACTION_KEYS, path)
    ident = check.slug(entry, "id", path)
    if ident in seen:
        check.add(join(path, "id"), f"duplicate expected action id {ident!r} in this inject")
    seen.add(ident)
    objective = check.text(entry, "objective", path) or None
    if objective and objective not in check.objective_ids:
        check.add(join(path, "objective"), f"unknown objective {objective!r}")
    weight = entry.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or \
            not 0 < weight <= MAX_WEIGHT:  # also refuses YAML's .nan and .inf
        check.add(join(path, "weight"), "must be a positive number")
        weight = 1
    evidence = check.text(entry, "evidence", path, required=True)
    if evidence and evidence not in EVIDENCE_KINDS:
        check.add(join(path, "evidence"), f"must be one of {', '.join(EVIDENCE_KINDS)}")
    deadline = check.duration(entry, "deadline", path)
    if deadline is not None and parse_iso(deadline).total_seconds() <= 0:
        check.add(join(path, "deadline"), "must be longer than zero (the team needs some time)")
    action: dict[str, Any] = {
        "id": ident,
        "teams": _audience(check, entry.get("teams"), join(path, "teams"), audience),
        "text": check.text(entry, "text", path, required=True),
        "deadline": deadline,
        "objective": objective,
        "weight": weight,
        "evidence": evidence,
    }
    if evidence == "stix":
        action["match"] = matches.check_match(check, entry.get("match"), join(path, "match"))
    elif "match" in entry:
        check.add(join(path, "match"), "only 'stix' evidence takes a match")
    options = entry.get("decision_options")
    if options is not None:
        if evidence != "response":
            check.add(join(path, "decision_options"), "only 'response' evidence takes options")
        elif not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            check.add(join(path, "decision_options"), "must be a list of texts")
        else:
            action["decision_options"] = options
    deadline_from = conditions.read_reference(check, entry.get("deadline_from"),
                                              join(path, "deadline_from"))
    if deadline_from is not None:
        action["deadline_from"] = deadline_from
    joint = entry.get("joint", False)
    if not isinstance(joint, bool):
        check.add(join(path, "joint"), "must be true or false")
    elif joint and evidence != "response":
        check.add(join(path, "joint"), "only 'response' evidence can be a joint decision")
    elif joint:
        action["joint"] = True
    return action


def _channels(check: Checker, raw: Any, path: str, has_stix: bool) -> list[str]:
    channels = ["inbox", "taxii"] if raw is None and has_stix else ["inbox"] if raw is None else raw
    if isinstance(channels, str):
        channels = [channels]
    if not isinstance(channels, list) or not channels:
        check.add(path, f"must be a non-empty list of {', '.join(CHANNELS)}")
        return ["inbox"]
    for index, channel in enumerate(channels):
        if channel not in CHANNELS:
            check.add(join(path, index), f"unknown channel {channel!r} (use {', '.join(CHANNELS)})")
    if has_stix and "taxii" not in channels:
        check.add(path, "an inject with stix objects needs the 'taxii' channel")
    return [str(channel) for channel in channels]


def _inject(check: Checker, raw: Any, path: str, inject_ids: set[str], stix_ids: set[str]
            ) -> dict[str, Any] | None:
    entry = check.mapping(raw, path)
    if entry is None:
        return None
    check.known_keys(entry, INJECT_KEYS, path)
    ident = check.slug(entry, "id", path)
    if ident in inject_ids:
        check.add(join(path, "id"), f"duplicate inject id {ident!r}")
    inject_ids.add(ident)
    audience = _audience(check, entry.get("audience"), join(path, "audience"))
    audience_set = set(check.team_ids) if audience == "all" else set(audience)
    raw_objects = check.items(entry.get("stix"), join(path, "stix"), required=False)
    objects = [obj for index, raw_obj in enumerate(raw_objects)
               if (obj := _stix_object(check, raw_obj, join(join(path, "stix"), index), stix_ids))]
    teams_content = per_team.check_per_team(check, entry.get("per_team"), join(path, "per_team"),
                                            audience_set, _stix_object, stix_ids)
    attachments = per_team.check_attachments(check, entry.get("attachments"),
                                             join(path, "attachments"))
    any_stix = bool(objects) or any("stix" in own for own in teams_content.values())
    hold = entry.get("hold", False)
    if not isinstance(hold, bool):
        check.add(join(path, "hold"), "must be true or false")
        hold = False
    seen: set[str] = set()
    actions = [action for index, raw_action in enumerate(
        check.items(entry.get("expected_actions"), join(path, "expected_actions"), required=False))
        if (action := _action(check, raw_action,
                              label(path, "expected_actions", raw_action, index, seen),
                              audience_set, seen))]
    for number, action in enumerate(actions):
        if action["evidence"] == "receipt" and not any_stix:
            check.add(join(join(join(path, "expected_actions"), number), "evidence"),
                      "receipt evidence needs an inject with stix objects (read over TAXII)")
    release_on = conditions.read_release_on(check, entry.get("release_on"),
                                            join(path, "release_on"))
    inject: dict[str, Any] = {
        "id": ident,
        "offset": check.duration(entry, "offset", path, required=release_on is None),
        "phase": check.text(entry, "phase", path),
        "from": check.text(entry, "from", path),
        "title": check.text(entry, "title", path, required=True, max_length=300),
        "body": check.text(entry, "body", path),
        "audience": audience,
        "channels": _channels(check, entry.get("channels"), join(path, "channels"), any_stix),
        "hold": hold,
        "controller_notes": check.text(entry, "controller_notes", path),
        "stix": objects,
        "expected_actions": actions,
    }
    if release_on is not None:
        inject["release_on"] = release_on
    if attachments:
        inject["attachments"] = attachments
    if teams_content:
        inject["per_team"] = teams_content
    return inject


def check_injects(check: Checker, raw: Any) -> list[dict[str, Any]]:
    """Validate the ``injects`` list; return the normalised injects.

    Paths name injects and actions by id (``injects[GR-07].expected_actions[A2]``), falling
    back to the position for an item without a usable or with a repeated id.
    """
    inject_ids: set[str] = set()
    stix_ids: set[str] = set()
    injects = []
    for index, item in enumerate(check.items(raw, "injects")):
        path = label("", "injects", item, index, inject_ids)
        inject = _inject(check, item, path, inject_ids, stix_ids)
        if inject is not None:
            check.inject_paths[inject["id"]] = path
            injects.append(inject)
    references.check(check, injects)
    conditions.check_references(check, injects)
    return injects
