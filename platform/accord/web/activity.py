"""Dashboard summaries of shared objects: what partners shared lately, and collection activity.

Each collection is read under the team's own grant with :func:`accord.sharing.query.conditions`
(the TAXII read policy), so the numbers count only objects the team may see (rule 3). Every
version added counts as one share; feeds and partners both appear under their source team.
Exercise collections and any id ever stored in one stay out of the partner panels (rule 5).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import authz
from accord.db import utcnow
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.users import User
from accord.sharing.exercise_separation import exercise_id_clause, is_exercise_collection
from accord.sharing.query import ObjectFilter, VersionFilter, conditions
from accord.sharing.recipient_view import (
    hides_source_clause,
    source_team_name,
    team_name,
)
from accord.tlp import Tlp
from accord.web.object_search import summary

WINDOW = timedelta(days=7)
RECENT = 8
EVERY_VERSION = ObjectFilter(versions=VersionFilter(all=True))


@dataclass
class CollectionActivity:
    """One readable collection: visible versions added in the window, and the newest one."""

    collection: Collection
    recent: int
    last_added: datetime | None


@dataclass
class Activity:
    """What the dashboard shows of shared objects."""

    since: datetime
    by_partner: list[tuple[str, Tlp, str, int]] = field(default_factory=list)
    collections: list[CollectionActivity] = field(default_factory=list)
    recent: list[tuple[Collection, Any, dict[str, str]]] = field(default_factory=list)

    @property
    def by_collection(self) -> dict[uuid.UUID, CollectionActivity]:
        return {entry.collection.id: entry for entry in self.collections}


def summarise(session: Session, user: User, hub_name: str, now: datetime | None = None
              ) -> Activity:
    """Partner shares by team, TLP and type, collection activity and the newest partner objects.
    Versions expired for recipients are not counted; a source hidden by its IEP policy counts
    and shows as ``hub_name`` (docs/sharing-rules.md "IEP 2.0 policies")."""
    now = now or utcnow()
    since = now - WINDOW
    activity = Activity(since=since)
    shares: Counter[tuple[str, Tlp, str]] = Counter()
    newest: list[tuple[Collection, Any]] = []
    for collection, grant in authz.visible_collections(session, user.team_id):
        if not authz.can_read(grant):
            continue
        where = conditions(collection.id, authz.read_access(user, grant), EVERY_VERSION, now)
        recent = [*where, StixObject.date_added >= since]
        count, last = session.execute(select(func.count(), func.max(StixObject.date_added))
                                      .where(*recent)).one()
        activity.collections.append(CollectionActivity(collection, int(count or 0), last))
        if is_exercise_collection(collection):
            continue  # the live panels never show exercise objects (rule 5)
        partners = [*recent, StixObject.source_team_id != user.team_id, ~exercise_id_clause()]
        hidden = hides_source_clause()
        for name, level, kind, number in session.execute(
                select(team_name(), StixObject.tlp, StixObject.stix_type, func.count())
                .where(*partners, ~hidden).group_by(StixObject.source_team_id, StixObject.tlp,
                                                    StixObject.stix_type)):
            shares[(name, level, kind)] += number
        for level, kind, number in session.execute(
                select(StixObject.tlp, StixObject.stix_type, func.count())
                .where(*partners, hidden).group_by(StixObject.tlp, StixObject.stix_type)):
            shares[(hub_name, level, kind)] += number
        newest.extend((collection, row) for row in session.execute(
            select(StixObject.stix_id, StixObject.stix_type, StixObject.tlp,
                   StixObject.date_added, StixObject.document,
                   source_team_name(user.team_id, hub_name))
            .where(*partners).order_by(StixObject.date_added.desc()).limit(RECENT)))
    activity.by_partner = sorted(((name, level, kind, number)
                                  for (name, level, kind), number in shares.items()),
                                 key=lambda item: (-item[3], item[0], item[1].rank, item[2]))
    newest.sort(key=lambda item: item[1].date_added, reverse=True)
    activity.recent = [(collection, row, summary(row.document))
                       for collection, row in newest[:RECENT]]
    return activity
