"""The read policy as a SQL condition, so filtering happens in the database (rule 3).

:func:`accord.tlp.may_read` is the TLP rule; :func:`visible_clause` asks the same question of
every row at once, and adds the IEP 2.0 validity: a version whose ``expires_at`` (the earlier
of its policy's ``end_date`` and its agreement's retention, set by ingest) has passed leaves
every read path for everybody but its source team (docs/sharing-rules.md "IEP 2.0 policies").
Both are derived from the same levels, and tests check they agree (:func:`may_see` is the
row-by-row form). Contested versions (written by a team that could not read the id's existing
versions, see :mod:`accord.sharing.ingest`) are visible to their writing team only.

:func:`visible_template` is the same condition with bound parameters in place of the reader and
the time (:func:`visibility_params` fills them), so a hot read path builds its statement once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_

from accord.db import utcnow
from accord.models.stix import StixObject
from accord.tlp import ReadAccess, Tlp, may_read, readable_levels

TEAM, OWN, OTHERS, NOW = "vis_team", "vis_own_levels", "vis_other_levels", "vis_now"


def _visible(table: Any, team: Any, own: Any, others: Any, now: Any) -> ColumnElement[bool]:
    """Rows of ``table`` shared by ``team`` at one of ``own``, or by anyone at ``others``, and
    still in force at ``now`` for everyone but their source team (``expires_at`` is indexed)."""
    mine = table.source_team_id == team
    readable = or_(and_(mine, table.tlp.in_(own)), table.tlp.in_(others))
    in_force = or_(table.expires_at.is_(None), table.expires_at > now, mine)
    return and_(readable, or_(table.contested.is_(False), mine), in_force)


def visibility_params(access: ReadAccess, now: datetime | None = None) -> dict[str, Any]:
    """The reader's values for :func:`visible_template`: its team, the levels it reads and the
    time the IEP validity is judged at (default: the hub's clock, :func:`accord.db.utcnow`)."""
    own_levels = [level for level in Tlp if may_read(access, level, access.team_id)]
    return {TEAM: access.team_id, OWN: own_levels, OTHERS: readable_levels(access),
            NOW: now or utcnow()}


def visible_clause(access: ReadAccess, table: Any = StixObject, now: datetime | None = None
                   ) -> ColumnElement[bool]:
    """Rows of ``table`` (``StixObject`` or an alias of it) the reader may see at ``now``
    (default: the hub's clock, :func:`accord.db.utcnow`)."""
    values = visibility_params(access, now)
    return _visible(table, values[TEAM], values[OWN], values[OTHERS], values[NOW])


def visible_template(table: Any = StixObject) -> ColumnElement[bool]:
    """:func:`visible_clause` for any reader, with its values as bound parameters."""
    return _visible(table, bindparam(TEAM), bindparam(OWN, expanding=True),
                    bindparam(OTHERS, expanding=True), bindparam(NOW))


def expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a version with this ``expires_at`` has left its recipients' read paths."""
    return expires_at is not None and expires_at <= now


def may_see(access: ReadAccess, level: Tlp, source_team_id: Any, contested: bool,
            expires_at: datetime | None, now: datetime) -> bool:
    """:func:`visible_clause` for one version, in Python (tests compare the two)."""
    mine = access.team_id == source_team_id
    return (may_read(access, level, source_team_id) and (mine or not contested)
            and (mine or not expired(expires_at, now)))
