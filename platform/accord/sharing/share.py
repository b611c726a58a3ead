"""``accord share``: a STIX bundle, a TAXII envelope or a plain list of values into a collection.

Everything is stored through :func:`accord.sharing.ingest.add_objects`, the TAXII write path, so
the same rules hold (validation, provenance, revocation, RED and exercise checks), and each
object gets a verdict like a TAXII 2.1 status resource's details (section 4.3.1): stored,
duplicate or failed with its reason. Plain values become indicators (STIX 2.1 section 4.7) with
ids derived from the team, the collection and the value, so sharing the same list again yields
duplicates, and changed options yield a new version of the same indicator (section 3.6).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit, jsonbody
from accord.db import utcnow
from accord.errors import BadRequest
from accord.models.stix import StixObject
from accord.sharing.access import Standing
from accord.sharing.exercise_separation import assert_not_exercise_collection
from accord.sharing.identifiers import is_stix_id
from accord.sharing.ingest import IngestResult, add_objects
from accord.sharing.timestamps import format_timestamp, parse_timestamp
from accord.sharing.validation import pattern_error, validation_error
from accord.sharing.values import ParsedList, indicator, parse_lines
from accord.tlp import Tlp

NAMESPACE = uuid.UUID("0c6f3b52-8d1e-5a4f-b7c9-3e2d1a0f9b84")
ACTION = "cli.share"
DEFAULT_TLP = Tlp.AMBER
MILLISECOND = timedelta(milliseconds=1)
# What makes two versions of a shared value's indicator the same (everything but timestamps).
SIGNIFICANT = ("name", "pattern", "pattern_type", "labels", "object_marking_refs",
               "valid_until", "created_by_ref", "indicator_types", "revoked")


@dataclass(frozen=True)
class ListOptions:
    """How plain values are turned into indicators (they do not apply to STIX input)."""

    tlp: Tlp | None = None
    labels: tuple[str, ...] = ()
    valid_until: datetime | None = None

    @property
    def given(self) -> list[str]:
        names = [("--tlp", self.tlp is not None), ("--label", bool(self.labels)),
                 ("--valid-until", self.valid_until is not None)]
        return [name for name, present in names if present]


@dataclass(frozen=True)
class Outcome:
    """One object's (or one bad line's) verdict."""

    id: str
    version: str
    result: str  # stored | duplicate | failed
    reason: str = ""
    line: int | None = None
    value: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "version": self.version, "result": self.result}
        if self.reason:
            data["reason"] = self.reason
        if self.line is not None:
            data["line"], data["value"] = self.line, self.value
        return data


@dataclass
class ShareReport:
    """What one share did, object by object."""

    source: str  # "list" or "stix"
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    @property
    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in ("stored", "duplicate", "failed")}


def objects_from_json(text: str) -> list[Any]:
    """Objects of a STIX bundle, a TAXII envelope, a JSON list or one object; 400 otherwise."""
    body = jsonbody.parse(text, what="the input", strict=False)  # each object is judged alone
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("objects"), list):
        return list(body["objects"])
    if isinstance(body, dict) and body.get("type") not in (None, "bundle"):
        return [body]
    raise BadRequest("expected a STIX bundle or TAXII envelope with an 'objects' list")


def is_json(text: str) -> bool:
    """JSON input starts with ``{`` or ``[``; no value a list may hold does."""
    return text.lstrip()[:1] in ("{", "[")


def indicator_id(team_id: uuid.UUID, collection_id: uuid.UUID, value: str) -> str:
    """The stable id of a team's indicator for ``value`` in one collection."""
    return f"indicator--{uuid.uuid5(NAMESPACE, f'{team_id}|{collection_id}|{value}')}"


def _held_versions(session: Session, collection_id: uuid.UUID, objects: Iterable[Any]
                   ) -> set[tuple[str, str]]:
    """(id, version) pairs the collection holds already: their successes are duplicates.
    Only well-formed ids are looked up (any other id is never stored, and one holding a lone
    surrogate cannot even be sent to the database)."""
    ids = sorted({obj["id"] for obj in objects
                  if isinstance(obj, dict) and is_stix_id(obj.get("id"))})
    if not ids:
        return set()
    rows = session.execute(select(StixObject.stix_id, StixObject.version).where(
        StixObject.collection_id == collection_id, StixObject.stix_id.in_(ids)))
    return {(stix_id, format_timestamp(version)) for stix_id, version in rows}


def _latest_documents(session: Session, collection_id: uuid.UUID, ids: list[str]
                      ) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = session.execute(select(StixObject.stix_id, StixObject.document).where(
        StixObject.collection_id == collection_id, StixObject.stix_id.in_(ids),
        StixObject.is_latest.is_(True)))
    return {stix_id: json.loads(document) for stix_id, document in rows}


def _next_version(held: dict[str, Any], now: datetime) -> datetime:
    """A ``modified`` later than the held version's (section 3.6)."""
    previous = parse_timestamp(str(held.get("modified") or held.get("created")))
    return now if now > previous else previous + MILLISECOND


def list_objects(session: Session, standing: Standing, parsed: ParsedList,
                 options: ListOptions, now: datetime) -> list[dict[str, Any]]:
    """One indicator per value; the held version itself when nothing about it changed."""
    team, collection = standing.user.team, standing.collection
    ids = {value: indicator_id(team.id, collection.id, value) for value in parsed.values}
    held = _latest_documents(session, collection.id, sorted(ids.values()))
    common: dict[str, Any] = {"tlp": options.tlp or DEFAULT_TLP, "labels": list(options.labels),
                              "author_identity": team.identity_id,
                              "valid_until": options.valid_until}
    objects = []
    for value, pattern in parsed.values.items():
        previous = held.get(ids[value])
        fresh = indicator(stix_id=ids[value], value=value, pattern=pattern, created=now,
                          modified=now, valid_from=now, **common)
        if previous is not None:
            if all(previous.get(key) == fresh.get(key) for key in SIGNIFICANT):
                objects.append(previous)  # a duplicate: the version already held
                continue
            fresh = indicator(
                stix_id=ids[value], value=value, pattern=pattern,
                created=parse_timestamp(previous.get("created", fresh["created"])),
                modified=_next_version(previous, now),
                valid_from=parse_timestamp(previous.get("valid_from", fresh["valid_from"])),
                **common)
        objects.append(fresh)
    return objects


def hub_checked(objects: list[dict[str, Any]]) -> bool:
    """True if indicators built from values are valid STIX 2.1 (section 4.7).

    Every pattern is checked (verdicts are memoised per pattern shape), and one whole object per
    kind of pattern goes through ``stix2``: the others differ from it only in string values and
    in timestamps of the same form, which is what makes a full check of each one redundant.
    """
    kinds = {str(obj.get("pattern")).split(" = ", 1)[0]: obj for obj in objects}
    return all(pattern_error(str(obj.get("pattern"))) is None for obj in objects) and \
        all(validation_error(obj) is None for obj in kinds.values())


def outcomes(result: IngestResult, held: set[tuple[str, str]]) -> list[Outcome]:
    """Per-object verdicts; a success is a duplicate if its version was already held."""
    seen = set(held)
    listed = []
    for detail in result.successes:
        key = (detail["id"], detail["version"])
        listed.append(Outcome(key[0], key[1], "duplicate" if key in seen else "stored"))
        seen.add(key)
    listed.extend(Outcome(detail["id"], detail["version"], "failed", detail["message"])
                  for detail in result.failures)
    return listed


def _with_lines(listed: list[Outcome], parsed: ParsedList, ids: dict[str, str]) -> list[Outcome]:
    """Name each indicator's value and line; add the rejected lines; sort by line."""
    by_id = {stix_id: value for value, stix_id in ids.items()}
    named = [Outcome(o.id, o.version, o.result, o.reason, parsed.lines[by_id[o.id]],
                     by_id[o.id]) if o.id in by_id else o for o in listed]
    named += [Outcome("", "", "failed", r["reason"], r["line"], None) for r in parsed.rejected]
    return sorted(named, key=lambda outcome: outcome.line or 0)


def share(session: Session, standing: Standing, text: str, options: ListOptions,
          source_name: str) -> ShareReport:
    """Store the objects or values in ``text`` as ``standing.user``; audit it (rule 6)."""
    standing.require_write(ACTION)
    parsed: ParsedList | None = None
    if is_json(text):
        if options.given:
            raise BadRequest(f"{', '.join(options.given)}: only for lists of values; STIX "
                             "objects are stored as written")
        objects = objects_from_json(text)
    else:
        assert_not_exercise_collection(standing.collection, "values without the exercise "
                                                            "marking")
        parsed = parse_lines(text)
        now = utcnow()
        objects = list_objects(session, standing, parsed, options,
                               now.replace(microsecond=now.microsecond // 1000 * 1000))
    if not objects and not (parsed and parsed.rejected):
        raise BadRequest(f"{source_name} holds no values or STIX objects")
    held = _held_versions(session, standing.collection.id, objects)
    trusted = parsed is not None and hub_checked(objects)
    result = add_objects(session, standing.collection, objects, standing.author,
                         validate=not trusted)
    report = ShareReport("stix" if parsed is None else "list", outcomes(result, held))
    if parsed is not None:
        ids = {value: indicator_id(standing.user.team_id, standing.collection.id, value)
               for value in parsed.values}
        report.outcomes = _with_lines(report.outcomes, parsed, ids)
    audit.record(session, ACTION, actor=standing.user, target_type="collection",
                 target_id=standing.collection.id,
                 details={"source": source_name, "input": report.source, "total": result.total,
                          "stored": result.stored, "duplicates": result.known,
                          "failures": len(result.failures),
                          "rejected_lines": len(parsed.rejected) if parsed else 0,
                          "tlp": result.tlp_counts})
    return report
