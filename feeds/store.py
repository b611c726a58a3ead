"""Storing a page of feed objects in a local collection through the hub's one write path.

:func:`accord.sharing.ingest.add_objects` keeps the rules feeds rely on (STIX validation with
the ``stix2`` library's verdicts, one row per version, strictly increasing ``date_added``,
provenance, duplicates never stored twice); this module attributes the page to the feed's
partner team and reports in the feed's terms. Nothing here commits: the caller's transaction
stores the page and its watermark together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import User
from accord.sharing import ingest


@dataclass
class StoreResult:
    """What happened to each object of a page."""

    stored: int = 0
    known: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def add_objects(session: Session, collection: Collection, author: User,
                objects: Sequence[Mapping[str, Any]], source_team: Team,
                admit: ingest.Admit | None = None) -> StoreResult:
    """Store valid new versions, attributed to ``source_team``; report the rest one by one.

    ``admit`` is the feed's TLP rule on each object's effective TLP (see ``feeds.policy``).
    """
    result = ingest.add_objects(session, collection, objects,
                                ingest.Author(team_id=source_team.id, user_id=author.id),
                                admit=admit)
    return StoreResult(stored=result.stored, known=result.known,
                       rejected=[{"id": failure["id"], "reason": failure["message"]}
                                 for failure in result.failures])
