"""Publishing inject STIX into exercise collections.

INTERIM: writes StixObject rows directly (server ``date_added`` strictly increasing per
collection, as rule 7 asks) until the shared ingest service in ``accord.sharing`` lands; then
this module becomes a thin call to ``ingest.add_objects``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import User
from accord.tlp import effective_tlp

ONE_MICROSECOND = timedelta(microseconds=1)


def publish_objects(session: Session, collection: Collection, source_team: Team,
                    objects: list[dict[str, Any]], actor: User | None) -> dict[str, Any]:
    """Store ``objects`` in ``collection`` as written by ``source_team`` (duplicates once)."""
    stored = 0
    session.execute(select(Collection.id).where(Collection.id == collection.id).with_for_update())
    session.refresh(collection)
    for obj in objects:
        version = _parse(obj.get("modified") or obj.get("created") or "2026-01-01T00:00:00Z")
        rows = list(session.scalars(select(StixObject).where(
            StixObject.collection_id == collection.id, StixObject.stix_id == obj["id"])))
        if any(row.version == version for row in rows):
            continue
        for row in rows:
            row.is_latest = False
        now = utcnow()
        last = collection.last_date_added
        added = now if last is None or now > last else last + ONE_MICROSECOND
        collection.last_date_added = added
        session.add(StixObject(
            collection_id=collection.id, stix_id=obj["id"], stix_type=obj["type"],
            version=version, date_added=added, is_latest=True,
            revoked=bool(obj.get("revoked")), tlp=effective_tlp(obj, collection.default_tlp),
            source_team_id=source_team.id, source_user_id=actor.id if actor else None,
            document=json.dumps(obj, separators=(",", ":"))))
        stored += 1
        session.flush()
    audit.record(session, "exercise.publish", actor=actor, team=source_team,
                 target_type="collection", target_id=collection.id,
                 details={"objects": len(objects), "stored": stored})
    return {"stored": stored, "total": len(objects)}


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
