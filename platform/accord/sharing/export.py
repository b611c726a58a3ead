"""``accord export``: what a user's team may read in a collection, as a bundle, CSV or blocklist.

Reads go through :func:`accord.sharing.query.read_page` with the grant's TLP policy, the same as
TAXII's get objects (TAXII 2.1 section 5.4): latest versions, in ``date_added`` order, paged to
the end. Exercise collections never export as live data and exercise objects (by marking, label
or an id ever stored in an exercise collection) are held back (rule 5); service accounts never
see RED, so they never export it (rule 3). Objects are written in outbound form
(:mod:`accord.sharing.outbound`): each carries its effective TLP and origin.

IEP 2.0 (issue 17): a version past its ``expires_at`` is exported only to its source team; an
export implies an action (:data:`ACTIONS`: a blocklist or CSV of values is for blocking,
``externally-visible-direct-actions``; a bundle is for analysis, ``internally-visible-actions``)
and an object whose ``permitted_actions`` does not reach it is held back. Held-back objects
are listed with the reason in the summary and the export's audit row (``held_back``). Copies
carry their policy's IEP marking (the definition is in the bundle) and name the hub instead of
a source the policy hides (``attribution: must-not``), except in the source team's own export.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, TextIO

import stix2
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest
from accord.iep import Action, parse_policy
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.sharing.access import Standing
from accord.sharing.attribution import hides_source
from accord.sharing.carried import EXPIRED, Carrier, is_expired
from accord.sharing.exercise_separation import (
    assert_not_exercise_collection,
    exercise_ids,
    is_exercise_object,
)
from accord.sharing.outbound import outbound_copy
from accord.sharing.query import ObjectFilter, read_page
from accord.sharing.timestamps import parse_timestamp
from accord.sharing.values import values_of_pattern
from accord.tlp import Tlp, marking_definition, marking_refs, tlp_of_marking

FORMATS = ("bundle", "csv", "blocklist")
ACTION = "cli.export"
PAGE_SIZE = 500
CSV_COLUMNS = ("id", "type", "value", "pattern", "tlp", "source_team", "created", "modified",
               "valid_until")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The action each format implies, for IEP ``permitted_actions`` (issue 17 shared brief).
ACTIONS = {"bundle": Action.INTERNALLY_VISIBLE, "csv": Action.EXTERNALLY_VISIBLE_DIRECT,
           "blocklist": Action.EXTERNALLY_VISIBLE_DIRECT}
MAX_HELD_BACK_LISTED = 1000  # in the audit row and summary; the count is always exact


@dataclass(frozen=True)
class Row:
    """One visible object with the hub's facts about it."""

    obj: dict[str, Any]
    tlp: Tlp
    source_team: str
    exercise: bool = False  # its id was stored in an exercise collection
    origin: str | None = None
    source_team_id: Any = None
    policy: dict[str, Any] | None = None  # the version's IEP policy (StixObject.iep_policy)
    expires_at: datetime | None = None


@dataclass
class ExportSummary:
    """What an export wrote and what it left out, and why."""

    format: str
    objects: int = 0
    values: int = 0
    tlp: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    held_back: list[dict[str, str]] = field(default_factory=list)
    held_back_count: int = 0

    def hold_back(self, row: Row, reason: str) -> None:
        """Leave ``row`` out for an IEP reason, listed by id (never silently dropped)."""
        self.held_back_count += 1
        if len(self.held_back) < MAX_HELD_BACK_LISTED:
            self.held_back.append({"id": str(row.obj.get("id")), "reason": reason})

    def took(self, row: Row) -> None:
        self.objects += 1
        self.tlp[row.tlp.value] = self.tlp.get(row.tlp.value, 0) + 1

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def as_json(self) -> dict[str, Any]:
        return {"format": self.format, "objects": self.objects, "values": self.values,
                "tlp": self.tlp, "skipped": self.skipped, "held_back": self.held_back,
                "held_back_count": self.held_back_count}


def visible_rows(session: Session, standing: Standing, types: tuple[str, ...],
                 page_size: int | None = None) -> Iterator[Row]:
    """Every latest version the user's team may read, page after page (keyset, rule 7), as
    stored (:func:`outbound_rows` makes the outbound copies of those that leave)."""
    page_size = page_size or PAGE_SIZE
    teams: dict[Any, str] = {team_id: name for team_id, name in
                             session.execute(select(Team.id, Team.name))}
    access, filters = standing.read_access(), ObjectFilter(types=types)
    after: datetime | None = None
    while True:
        page = read_page(session, [StixObject.stix_id, StixObject.document, StixObject.tlp,
                                   StixObject.origin, StixObject.source_team_id,
                                   StixObject.iep_policy, StixObject.expires_at],
                         standing.collection.id, access, filters, page_size, after)
        exercise = exercise_ids(session, [row.stix_id for row in page.rows])
        for row in page.rows:
            yield Row(json.loads(row.document), row.tlp, teams.get(row.source_team_id, ""),
                      row.stix_id in exercise, row.origin, row.source_team_id, row.iep_policy,
                      row.expires_at)
        if not page.more:
            return
        after = page.last_added


def _live(rows: Iterable[Row], summary: ExportSummary) -> Iterator[Row]:
    for row in rows:
        if row.exercise or is_exercise_object(row.obj):
            summary.skip("exercise")
            continue
        yield row


def _permitted(rows: Iterable[Row], summary: ExportSummary, carrier: Carrier,
               action: Action) -> Iterator[Row]:
    """The rows IEP lets this export take: not expired, and permitting ``action``; the source
    team's own export of its own objects is not limited by their policy."""
    now = utcnow()
    for row in rows:
        if carrier.sees_source(row.source_team_id):
            yield row
        elif is_expired(row.expires_at, now):
            summary.hold_back(row, EXPIRED)
        elif row.policy and not parse_policy(row.policy).permits(action):
            summary.hold_back(row, f"IEP permitted_actions is {row.policy['permitted_actions']}"
                                   f"; a {summary.format} export is for {action.value}")
        else:
            yield row


def outbound_rows(rows: Iterable[Row], carrier: Carrier) -> Iterator[Row]:
    """Each row as the copy that leaves: TLP and origin stated, IEP marking referenced, the
    hub named for a source the policy hides from this reader (its CSV ``source_team`` too)."""
    for row in rows:
        carry = carrier.carry(row.obj, row.policy, row.source_team_id)
        shown = carrier.hub_name if carry.creator and hides_source(row.policy) else \
            row.source_team
        yield replace(row, obj=outbound_copy(row.obj, row.tlp, row.origin, carry=carry),
                      source_team=shown)


@lru_cache(maxsize=1)
def _tlp1_definitions() -> dict[str, dict[str, Any]]:
    """STIX 2.1's built-in TLP 1.0 marking-definitions (section 7.2.1.4), by id."""
    levels = (stix2.v21.TLP_WHITE, stix2.v21.TLP_GREEN, stix2.v21.TLP_AMBER, stix2.v21.TLP_RED)
    return {str(m.id): json.loads(m.serialize()) for m in levels}


def tlp_definition(marking_id: str) -> dict[str, Any] | None:
    """The marking-definition object of a TLP marking id, if the hub knows it."""
    if marking_id in _tlp1_definitions():
        return _tlp1_definitions()[marking_id]
    level = tlp_of_marking(marking_id)
    definition = marking_definition(level) if level is not None else None
    return definition if definition is not None and definition["id"] == marking_id else None


def write_bundle(rows: Iterable[Row], out: TextIO, summary: ExportSummary,
                 carrier: Carrier) -> None:
    """A STIX 2.1 bundle (section 8) of the objects and the TLP markings they reference; the
    IEP markings and hub identity the copies need come before the first object using them."""
    out.write(f'{{"type": "bundle", "id": "bundle--{uuid.uuid4()}", "objects": [')
    written: set[str] = set()
    referenced: dict[str, None] = {}
    for row in rows:
        for needed in carrier.take():
            if str(needed["id"]) not in written:
                out.write(("," if written else "") + "\n" + json.dumps(needed))
                written.add(str(needed["id"]))
        summary.took(row)
        if row.obj.get("type") == "marking-definition" and str(row.obj.get("id")) in written:
            continue  # an IEP marking already written ahead of the objects using it
        out.write(("," if written else "") + "\n" + json.dumps(row.obj))
        written.add(str(row.obj.get("id")))
        referenced.update(dict.fromkeys(marking_refs(row.obj)))
    for marking_id in referenced:
        definition = tlp_definition(marking_id) if marking_id not in written else None
        if definition is not None:
            out.write(("," if written else "") + "\n" + json.dumps(definition))
            written.add(marking_id)
    out.write("\n]}\n")


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _value(obj: dict[str, Any]) -> str:
    if obj.get("type") == "indicator" and obj.get("pattern_type") == "stix":
        return "; ".join(values_of_pattern(str(obj.get("pattern", ""))) or [])
    value = obj.get("value")
    return value if isinstance(value, str) else ""


def write_csv(rows: Iterable[Row], out: TextIO, summary: ExportSummary,
              carrier: Carrier) -> None:
    """One line per object: ``CSV_COLUMNS``, values read from simple patterns."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        obj = row.obj
        writer.writerow([_cell(cell) for cell in (
            obj.get("id"), obj.get("type"), _value(obj), obj.get("pattern", ""), row.tlp.label,
            row.source_team, obj.get("created"), obj.get("modified"), obj.get("valid_until"))])
        summary.took(row)


def _expired(obj: dict[str, Any], now: datetime) -> bool:
    try:
        return "valid_until" in obj and parse_timestamp(str(obj["valid_until"])) <= now
    except ValueError:
        return True


def write_blocklist(rows: Iterable[Row], out: TextIO, summary: ExportSummary,
                    carrier: Carrier) -> None:
    """One value a line, each once, from current indicators with simple patterns."""
    now = utcnow()
    seen: set[str] = set()
    for row in rows:
        obj = row.obj
        if obj.get("revoked") is True:
            summary.skip("revoked")
            continue
        if _expired(obj, now):
            summary.skip("expired")
            continue
        values = values_of_pattern(str(obj.get("pattern", ""))) \
            if obj.get("pattern_type") == "stix" else None
        if values is None:
            summary.skip("not a simple pattern")
            continue
        summary.took(row)
        for value in values:
            if value not in seen and "\n" not in value and "\r" not in value:
                seen.add(value)
                out.write(value + "\n")
    summary.values = len(seen)


WRITERS: dict[str, Callable[[Iterable[Row], TextIO, ExportSummary, Carrier], None]] = {
    "bundle": write_bundle, "csv": write_csv, "blocklist": write_blocklist}


def _counted(rows: Iterable[Row], progress: Callable[[int], None]) -> Iterator[Row]:
    """``rows``, calling ``progress`` with the number read so far after each one."""
    for count, row in enumerate(rows, 1):
        yield row
        progress(count)


def export(session: Session, standing: Standing, fmt: str, types: tuple[str, ...], out: TextIO,
           destination: str, progress: Callable[[int], None] | None = None, *,
           hub_name: str) -> ExportSummary:
    """Write what ``standing.user``'s team may read and IEP lets it take to ``out``; audit it
    (rule 6) with what was held back and why. ``progress`` (the CLI's progress display) hears
    the number of objects read so far; ``hub_name`` names the hub for hidden sources."""
    if fmt not in WRITERS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "blocklist":
        if set(types) - {"indicator"}:
            raise BadRequest("a blocklist holds indicator values only: use --type indicator")
        types = ("indicator",)
    standing.require_read(ACTION)
    assert_not_exercise_collection(standing.collection, "export as live data")
    summary = ExportSummary(fmt)
    carrier = Carrier(session, hub_name, standing.user.team_id)
    rows = visible_rows(session, standing, types)
    rows = _permitted(_live(_counted(rows, progress) if progress else rows, summary), summary,
                      carrier, ACTIONS[fmt])
    WRITERS[fmt](outbound_rows(rows, carrier), out, summary, carrier)
    audit.record(session, ACTION, actor=standing.user, target_type="collection",
                 target_id=standing.collection.id,
                 details={**summary.as_json(), "types": list(types), "to": destination})
    return summary
