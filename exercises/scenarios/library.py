"""The scenario library: storing validated scenarios and finding them again."""

from __future__ import annotations

import uuid
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.errors import Conflict, NotFound
from accord.models.users import User
from exercises.models import Scenario
from exercises.scenarios import csv_import, scenario_format


def load_document(text: str, fmt: str, header: dict[str, Any] | None = None,
                  title: str = "Imported MSEL") -> dict[str, Any]:
    """Validate ``text`` (yaml, json or csv) into a normalised document; raise ScenarioInvalid."""
    if fmt == "csv":
        return csv_import.convert(text, header, title)
    return scenario_format.parse(text, fmt)


def save(session: Session, document: dict[str, Any], fmt: str = "yaml",
         actor: User | None = None, replace: bool = False) -> Scenario:
    """Store a normalised scenario; the same title and version twice is a conflict."""
    existing = session.scalar(select(Scenario).where(Scenario.title == document["title"],
                                                     Scenario.version == document["version"]))
    if existing is not None and not replace:
        raise Conflict(f"scenario {document['title']!r} version {document['version']} already "
                       "exists; bump the version or replace it")
    record = existing or Scenario(title=document["title"], version=document["version"])
    record.document = document
    record.source_format = fmt
    record.created_by_id = actor.id if actor else None
    session.add(record)
    session.flush()
    audit.record(session, "exercise.scenario.import", actor=actor, target_type="scenario",
                 target_id=record.id, details={"title": record.title, "version": record.version,
                                               "format": fmt, "replaced": existing is not None,
                                               "injects": len(document["injects"])})
    return record


def find(session: Session, ref: str) -> Scenario:
    """A scenario by id, by ``title@version``, or by title (its newest import)."""
    try:
        found = session.get(Scenario, uuid.UUID(ref))
    except ValueError:
        found = None
    if found is None:
        title, _, version = ref.rpartition("@") if "@" in ref else (ref, "", "")
        query = select(Scenario).where(Scenario.title == title)
        if version:
            query = query.where(Scenario.version == version)
        found = session.scalar(query.order_by(Scenario.created_at.desc()).limit(1))
    if found is None:
        raise NotFound(f"unknown scenario {ref!r}")
    return found


def list_scenarios(session: Session) -> list[Scenario]:
    return list(session.scalars(select(Scenario).order_by(Scenario.title, Scenario.version)))


def summary(record: Scenario) -> dict[str, Any]:
    """What lists show about a scenario_format."""
    document = record.document
    return {
        "id": str(record.id),
        "title": record.title,
        "version": record.version,
        "format": record.source_format,
        "objectives": len(document["objectives"]),
        "teams": [team["id"] for team in document["teams"]],
        "injects": len(document["injects"]),
        "created_at": record.created_at.isoformat(),
    }


SAMPLES = ("harbour-lights", "cable-cut")


def sample_text(name: str) -> str:
    """The YAML text of a bundled sample scenario_format."""
    if name not in SAMPLES:
        raise NotFound(f"unknown sample {name!r}; samples: {', '.join(SAMPLES)}")
    return (resources.files("exercises") / "samples" / f"{name}.yaml").read_text("utf-8")
