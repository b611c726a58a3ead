"""What a recipient sees of a version whose IEP 2.0 policy says ``attribution: must-not``.

Every read path serves such a version to everybody but its source team as if the hub had
published it (docs/sharing-rules.md "IEP 2.0 policies"): ``created_by_ref`` names the hub's
identity (:func:`accord.sharing.attribution.withhold_source`), pages and API documents show the
hub's name instead of the team and no user, filters by source team and text searches on the
source's identity never select it. Documents whose policy does not hide the source are served
as stored, verbatim (the fast path); only the hidden ones are re-encoded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, null, or_, select

from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import User
from accord.sharing.attribution import hides_source, withhold_source

MUST_NOT = "must-not"


def hides_source_clause(table: Any = StixObject) -> ColumnElement[bool]:
    """Rows whose stored policy forbids naming the source (``iep_policy.attribution``)."""
    attribution = func.coalesce(table.iep_policy["attribution"].as_string(), "")
    return attribution == MUST_NOT


def hidden_from_clause(team_id: uuid.UUID, table: Any = StixObject) -> ColumnElement[bool]:
    """Rows whose source is hidden from readers of ``team_id`` (not their own team's)."""
    return and_(table.source_team_id != team_id, hides_source_clause(table))


def hidden_from(team_id: uuid.UUID, source_team_id: uuid.UUID,
                policy: Mapping[str, Any] | None) -> bool:
    """:func:`hidden_from_clause` for one row."""
    return team_id != source_team_id and hides_source(policy)


def team_name() -> ColumnElement[Any]:
    """The source team's name, as stored: for rows already known not to hide it."""
    return (select(Team.name).where(Team.id == StixObject.source_team_id)
            .correlate(StixObject).scalar_subquery().label("team_name"))


def source_team_name(team_id: uuid.UUID, hub_name: str) -> ColumnElement[Any]:
    """The ``team_name`` column a reader of ``team_id`` sees: the hub's name when hidden."""
    name = (select(Team.name).where(Team.id == StixObject.source_team_id)
            .correlate(StixObject).scalar_subquery())
    return case((hidden_from_clause(team_id), literal(hub_name)), else_=name).label("team_name")


def source_user_name(team_id: uuid.UUID) -> ColumnElement[Any]:
    """The ``user_name`` column a reader of ``team_id`` sees: none when the source is hidden."""
    name = (select(User.username).where(User.id == StixObject.source_user_id)
            .correlate(StixObject).scalar_subquery())
    return case((hidden_from_clause(team_id), null()), else_=name).label("user_name")


def from_team_clause(team_id: uuid.UUID, source_team: uuid.UUID) -> ColumnElement[bool]:
    """A "source team is X" filter that never selects a version hiding X from the reader."""
    return and_(StixObject.source_team_id == source_team, ~hidden_from_clause(team_id))


def text_clause(team_id: uuid.UUID, needle: str) -> ColumnElement[bool]:
    """A text match that does not select a hidden-source version by its source's identity
    (``origin``, its ``created_by_ref`` or team identity), which would name the source."""
    origin = func.coalesce(StixObject.origin, "")
    return and_(StixObject.document.icontains(needle, autoescape=True),
                or_(~hidden_from_clause(team_id), ~origin.icontains(needle, autoescape=True)))


def served_document(document: str, policy: Mapping[str, Any] | None, hidden: bool,
                    hub_name: str) -> str:
    """The JSON text a reader gets: the stored text, unless the source is ``hidden`` from it."""
    if not hidden or not hides_source(policy):
        return document
    obj = json.loads(document)
    if not isinstance(obj, dict):
        return document
    return json.dumps(withhold_source(obj, policy, hub_name), separators=(",", ":"),
                      ensure_ascii=False)
