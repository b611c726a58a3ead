"""How test teams write STIX to an exercise's play collection, and the objects they write."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.collections import Collection
from accord.models.users import User
from exercises.runs import publish
from exercises.runs.marking import stix_time


def indicator(value: str, ident: str | None = None, **extra: Any) -> dict[str, Any]:
    now = stix_time(utcnow())
    return {"type": "indicator", "spec_version": "2.1",
            "id": ident or f"indicator--{uuid.uuid4()}", "created": now, "modified": now,
            "name": f"Seen {value}", "pattern": f"[ipv4-addr:value = '{value}']",
            "pattern_type": "stix", "valid_from": now, **extra}


def revised(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A new version of ``obj`` (``modified`` strictly later)."""
    later = stix_time(utcnow() + timedelta(milliseconds=5))
    return {**obj, "modified": later, **changes}


def sighting(of: str) -> dict[str, Any]:
    now = stix_time(utcnow())
    return {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}",
            "created": now, "modified": now, "sighting_of_ref": of, "count": 3}


def write(session: Session, collection_id: uuid.UUID, user: User,
          objects: list[dict[str, Any]]) -> None:
    """Post ``objects`` to the collection as ``user``'s team."""
    collection = session.get(Collection, collection_id)
    assert collection is not None
    publish.publish_objects(session, collection, user.team, objects, user)
    session.commit()
