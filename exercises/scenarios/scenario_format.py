"""The scenario format (``accord-exercise/1``): loading YAML or JSON and validating it.

Validation never stops at the first mistake: it walks the whole document and reports every
problem with its path in the file, e.g. ``injects[3].expected_actions[0].deadline: not an ISO
8601 duration``. The result is a *normalised* document (defaults filled in, versions as text)
which is what the hub stores, schedules and exports.
"""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

import yaml

from accord import jsonbody
from accord.tlp import Tlp
from exercises.scenarios import injects, yamlload
from exercises.scenarios.checking import Checker, Problem, ScenarioInvalid, join
from exercises.scenarios.durations import parse_iso, to_iso

FORMAT = "accord-exercise/1"
DEFAULT_SCALE = [
    {"value": "P", "label": "Performed without challenges"},
    {"value": "S", "label": "Performed with some challenges"},
    {"value": "M", "label": "Performed with major challenges"},
    {"value": "U", "label": "Unable to be performed"},
]
TOP_LEVEL_KEYS = {
    "format", "title", "version", "description", "language", "default_tlp", "duration",
    "rating_scale", "objectives", "teams", "injects", "feedback_window",
}


def load_source(text: str, fmt: str = "yaml") -> Any:
    """Parse YAML or JSON text; syntax errors become a :class:`ScenarioInvalid` with a line.

    JSON is read strictly (:mod:`accord.jsonbody`), YAML with an alias budget
    (:mod:`exercises.scenarios.yamlload`), and text that cannot be stored (NUL, lone
    surrogates, nesting deeper than the JSON limit) is refused for both.
    """
    try:
        data = jsonbody.loads(text) if fmt == "json" else yamlload.load(text)
    except json.JSONDecodeError as exc:
        problem = Problem(f"line {exc.lineno}", f"not valid JSON: {exc.msg}")
        raise ScenarioInvalid([problem]) from None
    except ValueError as exc:  # NaN, Infinity, numbers out of range
        raise ScenarioInvalid([Problem("file", f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise ScenarioInvalid([Problem("file", "not valid JSON: nested too deeply")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        reason = getattr(exc, "problem", None) or str(exc)
        if not isinstance(exc, yamlload.Refused):
            reason = f"not valid YAML: {reason}"
        raise ScenarioInvalid([Problem(where, reason)]) from None
    unstorable = jsonbody.structure_problem(data, allow_nul=False)
    if unstorable:
        raise ScenarioInvalid([Problem("file", unstorable)])
    return data


def _rating_scale(check: Checker, raw: Any) -> list[dict[str, str]]:
    if raw is None:
        return [dict(item) for item in DEFAULT_SCALE]
    scale: list[dict[str, str]] = []
    for index, item in enumerate(check.items(raw, "rating_scale")):
        path = join("rating_scale", index)
        if isinstance(item, str):
            scale.append({"value": item, "label": item})
            continue
        entry = check.mapping(item, path)
        if entry is None:
            continue
        check.known_keys(entry, {"value", "label"}, path)
        value = check.text(entry, "value", path, required=True)
        scale.append({"value": value, "label": check.text(entry, "label", path) or value})
    values = [item["value"] for item in scale]
    if len(set(values)) != len(values):
        check.add("rating_scale", "values must be unique")
    return scale


def _objectives(check: Checker, raw: Any) -> list[dict[str, str]]:
    objectives = []
    for index, item in enumerate(check.items(raw, "objectives")):
        path = join("objectives", index)
        entry = check.mapping(item, path)
        if entry is None:
            continue
        check.known_keys(entry, {"id", "text"}, path)
        ident = check.slug(entry, "id", path)
        if ident in check.objective_ids:
            check.add(join(path, "id"), f"duplicate objective id {ident!r}")
        check.objective_ids.add(ident)
        objectives.append({"id": ident, "text": check.text(entry, "text", path, required=True)})
    return objectives


def _teams(check: Checker, raw: Any) -> list[dict[str, str]]:
    teams = []
    for index, item in enumerate(check.items(raw, "teams")):
        path = join("teams", index)
        entry = check.mapping(item, path)
        if entry is None:
            continue
        check.known_keys(entry, {"id", "role", "timezone", "description"}, path)
        ident = check.slug(entry, "id", path)
        if ident == "all":
            check.add(join(path, "id"), "'all' is reserved for audiences")
        if ident in check.team_ids:
            check.add(join(path, "id"), f"duplicate team placeholder {ident!r}")
        check.team_ids.add(ident)
        timezone = check.text(entry, "timezone", path, default="UTC")
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            check.add(join(path, "timezone"), f"unknown time zone {timezone!r} (use an IANA name)")
        teams.append({"id": ident, "role": check.text(entry, "role", path, required=True),
                      "timezone": timezone, "description": check.text(entry, "description", path)})
    return teams


def _header(check: Checker, data: dict[str, Any]) -> dict[str, Any]:
    check.known_keys(data, TOP_LEVEL_KEYS, "")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        check.add("format", f"must be {FORMAT!r}")
    tlp = check.text(data, "default_tlp", "", default="amber")
    try:
        level = Tlp.parse(tlp)
        if level == Tlp.RED:
            check.add("default_tlp", "exercise collections never carry TLP:RED")
        tlp = level.value
    except ValueError as exc:
        check.add("default_tlp", str(exc))
    header: dict[str, Any] = {
        "format": FORMAT,
        "title": check.text(data, "title", "", required=True, max_length=200),
        "version": check.text(data, "version", "", required=True, max_length=40),
        "description": check.text(data, "description", ""),
        "language": check.text(data, "language", "", default="en"),
        "default_tlp": tlp,
        "duration": check.duration(data, "duration", "", required=False),
    }
    window = check.duration(data, "feedback_window", "", required=False)
    if window:
        header["feedback_window"] = window  # forms stay open this long after ENDEX
    return header


def validate(data: Any) -> tuple[dict[str, Any], list[Problem]]:
    """Check a loaded scenario; return the normalised document and every problem found."""
    check = Checker()
    root = check.mapping(data, "")
    if root is None:
        return {}, check.problems
    document = _header(check, root)
    document["rating_scale"] = _rating_scale(check, root.get("rating_scale"))
    document["objectives"] = _objectives(check, root.get("objectives"))
    document["teams"] = _teams(check, root.get("teams"))
    document["injects"] = injects.check_injects(check, root.get("injects"))
    if document["duration"] and document["injects"]:
        _end_of_play(check, document)
    return document, check.problems


def _end_of_play(check: Checker, document: dict[str, Any]) -> None:
    """``duration`` is when play ends (ENDEX): every inject and deadline must fit in it."""
    end = parse_iso(document["duration"])
    offsets = [parse_iso(i["offset"]) for i in document["injects"] if i.get("offset")]
    if offsets and end < max(offsets):
        check.add("duration", "is shorter than the offset of the last inject")
        return
    for inject in document["injects"]:
        if not inject.get("offset"):
            continue
        path = check.inject_paths.get(inject["id"], "injects")
        for action in inject["expected_actions"]:
            if not action.get("deadline"):
                continue
            due = parse_iso(inject["offset"]) + parse_iso(action["deadline"])
            if due > end:
                check.add(f"{join(path, 'expected_actions')}[{action['id']}].deadline",
                          f"ends at {to_iso(due)}, after the end of play (duration "
                          f"{document['duration']}): shorten it or lengthen the duration")


def parse(text: str, fmt: str = "yaml") -> dict[str, Any]:
    """Load and validate; return the normalised document or raise :class:`ScenarioInvalid`."""
    document, problems = validate(load_source(text, fmt))
    if problems:
        raise ScenarioInvalid(problems)
    return document


def detect_format(filename: str, content_type: str = "") -> str:
    """``yaml``, ``json`` or ``csv`` from a file name or media type."""
    name = filename.lower()
    if name.endswith(".csv") or "csv" in content_type:
        return "csv"
    if name.endswith(".json") or "json" in content_type:
        return "json"
    return "yaml"
