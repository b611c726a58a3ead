"""Publishing inject STIX into exercise collections through the hub's one write path.

:func:`accord.sharing.ingest.add_objects` gives the objects strictly increasing server
``date_added`` (rule 7), stores each version once and records provenance; this module adds the
exercise audit event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from accord import audit
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import User
from accord.sharing.ingest import Author, add_objects


def publish_objects(session: Session, collection: Collection, source_team: Team,
                    objects: list[dict[str, Any]], actor: User | None) -> dict[str, Any]:
    """Store ``objects`` in ``collection`` as written by ``source_team`` (duplicates once)."""
    result = add_objects(session, collection, objects,
                         Author(team_id=source_team.id, user_id=actor.id if actor else None))
    audit.record(session, "exercise.publish", actor=actor, team=source_team,
                 target_type="collection", target_id=collection.id,
                 details={"objects": len(objects), "stored": result.stored,
                          "failures": result.failures[:20]})
    return {"stored": result.stored, "total": len(objects), "failures": result.failures}
