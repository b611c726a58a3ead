"""Import a scenario from a CSV master scenario events list (MSEL): one inject per row.

Planners draft MSELs in spreadsheets (HSEEP, OpenAEV's XLS mapper, Crucible Blueprint), so the
columns are the ones they already use, with common aliases, and offsets may be typed as
``PT1H15M``, ``+01:15`` or ``D+0 H+1 M+15``. Each row may carry one expected action; further
rows with the same inject id add more actions (and STIX) to that inject. A ``stix`` column
holds JSON (an object, a list or a bundle). Decision options are separated by ``;`` or ``|``,
or by commas with an option that contains a comma in double quotes, or given as a JSON list.
The scenario header (title, objectives, team placeholders, rating scale) comes from a
YAML/JSON header document, or is derived from the rows when there is none.

Problems are reported by spreadsheet row (``row 4.offset: ...``; the header is row 1).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from exercises.scenarios import scenario_format
from exercises.scenarios.checking import Problem, ScenarioInvalid
from exercises.scenarios.durations import DurationError, parse_offset, to_iso

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "inject_id", "inject", "seq", "seq no", "number"),
    "offset": ("offset", "timeline", "time", "t+", "trigger"),
    "title": ("title", "subject"),
    "body": ("body", "content", "description", "message"),
    "audience": ("audience", "to", "teams", "recipients"),
    "channels": ("channels", "channel", "delivery", "delivery method"),
    "from": ("from", "sender"),
    "phase": ("phase", "move", "module"),
    "hold": ("hold", "manual", "manual release"),
    "controller_notes": ("controller_notes", "controller notes", "notes", "comments"),
    "action_id": ("action_id", "expectation id", "expectation name"),
    "action": ("action", "expected_action", "expected action", "expectation description"),
    "action_teams": ("action_teams", "expected teams"),
    "deadline": ("deadline", "expectation deadline"),
    "evidence": ("evidence", "evidence kind"),
    "objective": ("objective", "objectives"),
    "weight": ("weight", "expectation score", "score"),
    "match_object": ("match_object",),
    "match_pattern": ("match_pattern",),
    "match_pattern_contains": ("match_pattern_contains",),
    "match_sighting_of": ("match_sighting_of",),
    "match_of": ("match_of",),
    "decision_options": ("decision_options", "options"),
    "stix": ("stix", "stix_json", "stix objects", "stix_objects"),
}
INJECT_FIELDS = ("offset", "title", "body", "audience", "channels", "from", "phase", "hold",
                 "controller_notes")
ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
LIST_SPLIT = re.compile(r"\s*[;,|]\s*")
TRUE_WORDS = {"yes", "y", "true", "1", "x", "hold"}


def _columns(header: list[str]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    unknown = []
    for index, raw in enumerate(header):
        name = ALIASES.get(raw.strip().lower())
        if name is None:
            if raw.strip():
                unknown.append(raw.strip())
            continue
        mapping[index] = name
    problems = [Problem("row 1", f"unknown column {name!r}") for name in unknown]
    for required in ("id", "offset", "title"):
        if required not in mapping.values():
            problems.append(Problem("row 1", f"missing column {required!r}"))
    if problems:
        raise ScenarioInvalid(problems)
    return mapping


def _split(value: str) -> list[str]:
    return [part for part in LIST_SPLIT.split(value.strip()) if part]


def _options(value: str) -> list[str]:
    """Decision options: a JSON list, ``;``/``|``/line separated, or comma separated with
    CSV quoting (``"joint statement, with partners", no comment``)."""
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(o, str) for o in parsed):
            return [o.strip() for o in parsed if o.strip()]
    if re.search(r"[;|\n]", text):
        return [part.strip() for part in re.split(r"[;|\n]", text) if part.strip()]
    row = next(csv.reader([text], skipinitialspace=True), [])
    return [part.strip() for part in row if part.strip()]


def _stix(value: str, problems: list[Problem], line: int) -> list[Any]:
    """The ``stix`` cell: a JSON object, a list of objects, or a bundle."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        problems.append(Problem(f"row {line}.stix", f"not valid JSON: {exc.msg} "
                                f"(column {exc.colno})"))
        return []
    if isinstance(parsed, dict) and parsed.get("type") == "bundle":
        parsed = parsed.get("objects", [])
    objects = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(obj, dict) for obj in objects):
        problems.append(Problem(f"row {line}.stix", "must be a JSON object, a list of objects "
                                "or a bundle"))
        return []
    return objects


def _action(cells: dict[str, str]) -> dict[str, Any] | None:
    if not (cells.get("action") or cells.get("action_id")):
        return None
    action: dict[str, Any] = {
        "id": cells.get("action_id") or "expected",
        "text": cells.get("action", ""),
        "deadline": cells.get("deadline") or None,
        "evidence": (cells.get("evidence") or "manual").lower(),
    }
    if cells.get("deadline"):
        try:
            action["deadline"] = to_iso(parse_offset(cells["deadline"]))
        except DurationError:
            action["deadline"] = cells["deadline"]  # validation reports it with its row
    if cells.get("action_teams"):
        teams = _split(cells["action_teams"])
        action["teams"] = "all" if teams == ["all"] else teams
    if cells.get("objective"):
        action["objective"] = cells["objective"]
    if cells.get("weight"):
        try:
            action["weight"] = float(cells["weight"])
        except ValueError:
            action["weight"] = cells["weight"]
    match = {key.removeprefix("match_"): value for key, value in cells.items()
             if key.startswith("match_") and value}
    if match:
        match["object"] = match.pop("object", "")
        action["match"] = match
    if cells.get("decision_options"):
        action["decision_options"] = _options(cells["decision_options"])
    return action


def _inject(cells: dict[str, str], problems: list[Problem], line: int) -> dict[str, Any]:
    inject: dict[str, Any] = {"id": cells.get("id", ""), "title": cells.get("title", "")}
    try:
        inject["offset"] = to_iso(parse_offset(cells.get("offset", "")))
    except DurationError as exc:
        problems.append(Problem(f"row {line}.offset", str(exc)))
        inject["offset"] = "PT0S"
    for key in ("body", "from", "phase", "controller_notes"):
        if cells.get(key):
            inject[key] = cells[key]
    if cells.get("audience"):
        audience = _split(cells["audience"])
        inject["audience"] = "all" if [a.lower() for a in audience] == ["all"] else audience
    if cells.get("channels"):
        inject["channels"] = [channel.lower() for channel in _split(cells["channels"])]
    if cells.get("hold"):
        inject["hold"] = cells["hold"].strip().lower() in TRUE_WORDS
    action = _action(cells)
    inject["expected_actions"] = [action] if action else []
    inject["stix"] = _stix(cells["stix"], problems, line) if cells.get("stix") else []
    return inject


def _continue(inject: dict[str, Any], cells: dict[str, str], first: dict[str, str],
              problems: list[Problem], line: int, first_line: int) -> None:
    """A further row of an inject: it may add an action and STIX, and change nothing else."""
    for key in INJECT_FIELDS:
        if cells.get(key) and cells[key] != first.get(key, ""):
            problems.append(Problem(f"row {line}.{key}", f"inject {inject['id']!r} is defined in "
                                    f"row {first_line}; a further row for it may only add an "
                                    "expected action or STIX (leave this cell empty)"))
    action = _action(cells)
    if action:
        inject["expected_actions"].append(action)
    if cells.get("stix"):
        inject["stix"] += _stix(cells["stix"], problems, line)


def _derived_header(injects: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """A header for a CSV without one: placeholders and objectives named after the rows."""
    teams: list[str] = []
    objectives: list[str] = []
    for inject in injects:
        audiences = [inject.get("audience")] + [a.get("teams") for a in inject["expected_actions"]]
        for audience in audiences:
            if isinstance(audience, list):
                teams += [team for team in audience if team not in teams]
        for action in inject["expected_actions"]:
            if action.get("objective") and action["objective"] not in objectives:
                objectives.append(action["objective"])
    return {
        "title": title,
        "version": "1",
        "teams": [{"id": team, "role": team} for team in teams] or [{"id": "players",
                                                                     "role": "Players"}],
        "objectives": [{"id": name, "text": name} for name in objectives],
    }


@dataclass
class Rows:
    """Which spreadsheet row each inject and action came from."""

    injects: list[str] = field(default_factory=list)  # in order
    inject_row: dict[str, int] = field(default_factory=dict)
    action_row: dict[tuple[str, str], int] = field(default_factory=dict)

    def relocate(self, problem: Problem) -> Problem:
        """``injects[INJ-2].expected_actions[a].deadline`` becomes ``row 4.deadline``."""
        match = re.match(r"^injects\[([^\]]+)\](?:\.expected_actions\[([^\]]+)\])?(.*)$",
                         problem.path)
        if match is None:
            return problem
        ident = match[1]
        if ident not in self.inject_row and ident.isdigit() and int(ident) < len(self.injects):
            ident = self.injects[int(ident)]
        row = self.inject_row.get(ident)
        if match[2] is not None:
            row = self.action_row.get((ident, match[2]), row)
        if row is None:
            return problem
        return Problem(f"row {row}{match[3]}", problem.message)


def convert(text: str, header: dict[str, Any] | None = None, title: str = "Imported MSEL"
            ) -> dict[str, Any]:
    """Turn MSEL CSV text into a normalised scenario, or raise :class:`ScenarioInvalid`."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = [row for row in reader]
    if not rows:
        raise ScenarioInvalid([Problem("row 1", "the file is empty")])
    mapping = _columns(rows[0])
    problems: list[Problem] = []
    injects: dict[str, dict[str, Any]] = {}
    firsts: dict[str, dict[str, str]] = {}
    where = Rows()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {mapping[i]: cell.strip() for i, cell in enumerate(row) if i in mapping}
        ident = cells.get("id", "")
        if ident and ident in injects:
            _continue(injects[ident], cells, firsts[ident], problems, line, where.inject_row[ident])
        else:
            ident = ident or f"row-{line}"
            injects[ident] = _inject(cells, problems, line)
            firsts[ident] = cells
            where.injects.append(ident)
            where.inject_row[ident] = line
        for action in injects[ident]["expected_actions"]:
            where.action_row.setdefault((ident, str(action["id"])), line)
    data = dict(header) if header else _derived_header(list(injects.values()), title)
    data["injects"] = list(injects.values())
    document, found = scenario_format.validate(data)
    problems += [where.relocate(problem) for problem in found]
    if problems:
        raise ScenarioInvalid(problems)
    return document
