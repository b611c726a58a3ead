"""Validation of the play fields that refer to other injects: conditional release
(``release_on``), deadlines counted from another team's action (``deadline_from``) and joint
decisions (``joint``).

They are checked in a second pass, once every inject and action id is known, so a reference
may point forwards or backwards in the file; cycles of conditional injects are refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from exercises.scenarios.checking import SLUG, Checker, join
from exercises.scenarios.durations import parse_iso

OUTCOMES = ("met", "late", "missed")
RELEASE_KEYS = {"inject", "action", "outcome", "team", "delay"}
REFERENCE_KEYS = {"inject", "action", "team"}


def read_release_on(check: Checker, raw: Any, path: str) -> dict[str, Any] | None:
    """The ``release_on`` mapping of an inject, normalised (references checked later)."""
    if raw is None:
        return None
    entry = check.mapping(raw, path)
    if entry is None:
        return None
    check.known_keys(entry, RELEASE_KEYS, path)
    outcome = check.text(entry, "outcome", path, default="met")
    if outcome not in OUTCOMES:
        check.add(join(path, "outcome"), f"must be one of {', '.join(OUTCOMES)}")
    return {"inject": check.text(entry, "inject", path, required=True),
            "action": check.text(entry, "action", path, required=True),
            "outcome": outcome,
            "team": check.text(entry, "team", path) or None,
            "delay": check.duration(entry, "delay", path, required=False) or "PT0S"}


def read_reference(check: Checker, raw: Any, path: str) -> dict[str, Any] | None:
    """A ``deadline_from`` mapping: the inject, action and (optionally) team it counts from."""
    if raw is None:
        return None
    entry = check.mapping(raw, path)
    if entry is None:
        return None
    check.known_keys(entry, REFERENCE_KEYS, path)
    return {"inject": check.text(entry, "inject", path, required=True),
            "action": check.text(entry, "action", path, required=True),
            "team": check.text(entry, "team", path) or None}


def action_teams(inject: dict[str, Any], action: dict[str, Any], all_teams: set[str]
                 ) -> set[str]:
    """The placeholders an action applies to (``all`` resolved through the inject's audience)."""
    audience = all_teams if inject["audience"] == "all" else set(inject["audience"])
    return audience if action["teams"] == "all" else set(action["teams"]) & audience


def _check_reference(check: Checker, ref: dict[str, Any], path: str,
                     injects: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The referenced action, after checking the inject, action and team exist."""
    target = injects.get(ref["inject"])
    if target is None:
        check.add(join(path, "inject"), f"unknown inject {ref['inject']!r}")
        return None
    action: dict[str, Any] | None = next(
        (a for a in target["expected_actions"] if a["id"] == ref["action"]), None)
    if action is None:
        check.add(join(path, "action"),
                  f"inject {ref['inject']!r} has no expected action {ref['action']!r}")
        return None
    if action["evidence"] == "manual" and path.endswith("deadline_from"):
        check.add(join(path, "action"), "a deadline cannot count from a manual action")
    teams = action_teams(target, action, check.team_ids)
    if ref["team"] is not None and ref["team"] not in teams:
        check.add(join(path, "team"), f"team {ref['team']!r} is not expected to do "
                                      f"{ref['inject']}/{ref['action']}")
    return action


def _path(check: Checker, inject: dict[str, Any], index: int) -> str:
    """``injects[<id>]`` as the first pass named it, else ``injects[<position>]``."""
    return check.inject_paths.get(inject["id"], join("injects", index))


def _cycles(check: Checker, injects: list[dict[str, Any]]) -> None:
    """Refuse conditional injects that wait, directly or not, on themselves."""
    waits = {i["id"]: i["release_on"]["inject"] for i in injects
             if i.get("release_on") and i["release_on"]["inject"] != i["id"]}
    for index, inject in enumerate(injects):
        seen, current = {inject["id"]}, waits.get(inject["id"])
        while current is not None:
            if current in seen:
                check.add(join(_path(check, inject, index), "release_on"),
                          "conditional injects wait on each other in a cycle")
                break
            seen.add(current)
            current = waits.get(current)


def check_references(check: Checker, injects: list[dict[str, Any]]) -> None:
    """The second pass: every reference resolves, joint decisions name at least two teams."""
    by_id = {inject["id"]: inject for inject in injects}
    for index, inject in enumerate(injects):
        path = _path(check, inject, index)
        release = inject.get("release_on")
        if release:
            if release["inject"] == inject["id"]:
                check.add(join(join(path, "release_on"), "inject"),
                          "an inject cannot wait on itself")
            else:
                _check_reference(check, release, join(path, "release_on"), by_id)
        for number, action in enumerate(inject["expected_actions"]):
            where = f"{join(path, 'expected_actions')}[{action['id']}]" \
                if SLUG.match(str(action["id"])) else join(join(path, "expected_actions"), number)
            ref = action.get("deadline_from")
            if ref:
                if ref["inject"] == inject["id"] and ref["action"] == action["id"]:
                    check.add(join(where, "deadline_from"),
                              "an action's deadline cannot count from itself")
                else:
                    _check_reference(check, ref, join(where, "deadline_from"), by_id)
            if action.get("joint") and len(action_teams(inject, action, check.team_ids)) < 2:
                check.add(join(where, "joint"), "a joint decision needs at least two teams")
    _cycles(check, injects)


def planned_offset(document: dict[str, Any], inject: dict[str, Any], depth: int = 0
                   ) -> timedelta:
    """When an inject is expected, for planning: its offset, or for a conditional inject
    without one, its trigger's offset plus the trigger action's deadline plus the delay."""
    if inject.get("offset"):
        return parse_iso(inject["offset"])
    release = inject.get("release_on")
    if not release or depth > len(document["injects"]):
        return timedelta(0)
    trigger = next((i for i in document["injects"] if i["id"] == release["inject"]), None)
    if trigger is None:
        return timedelta(0)
    action = next((a for a in trigger["expected_actions"] if a["id"] == release["action"]), None)
    deadline = parse_iso(action["deadline"]) if action and action.get("deadline") else timedelta(0)
    return (planned_offset(document, trigger, depth + 1) + deadline
            + parse_iso(release.get("delay") or "PT0S"))
