"""The read policy as a SQL condition, so filtering happens in the database (rule 3).

:func:`accord.tlp.may_read` is the TLP rule; :func:`visible_clause` asks the same question of
every row at once, and adds the IEP 2.0 validity: a version whose ``expires_at`` (the earlier
of its policy's ``end_date`` and its agreement's retention, set by ingest) has passed leaves
every read path for everybody but its source team (docs/sharing-rules.md "IEP 2.0 policies").
Both are derived from the same levels, and tests check they agree (:func:`may_see` is the
row-by-row form). Contested versions (written by a team that could not read the id's existing
versions, see :mod:`accord.sharing.ingest`) are visible to their writing team only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from accord.db import utcnow
from accord.models.stix import StixObject
from accord.tlp import ReadAccess, Tlp, may_read, readable_levels


def in_force_clause(access: ReadAccess, now: datetime, table: Any = StixObject
                    ) -> ColumnElement[bool]:
    """Rows not yet expired at ``now``, or shared by the reader's own team (which keeps
    seeing them, marked expired for recipients). ``expires_at`` is indexed."""
    return or_(table.expires_at.is_(None), table.expires_at > now,
               table.source_team_id == access.team_id)


def visible_clause(access: ReadAccess, table: Any = StixObject, now: datetime | None = None
                   ) -> ColumnElement[bool]:
    """Rows of ``table`` (``StixObject`` or an alias of it) the reader may see at ``now``
    (default: the hub's clock, :func:`accord.db.utcnow`)."""
    own_levels = [level for level in Tlp if may_read(access, level, access.team_id)]
    others = readable_levels(access)
    mine = table.source_team_id == access.team_id
    own = and_(mine, table.tlp.in_(own_levels)) if own_levels else false()
    readable = or_(own, table.tlp.in_(others)) if others else own
    return and_(readable, or_(table.contested.is_(False), mine),
                in_force_clause(access, now or utcnow(), table))


def expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a version with this ``expires_at`` has left its recipients' read paths."""
    return expires_at is not None and expires_at <= now


def may_see(access: ReadAccess, level: Tlp, source_team_id: Any, contested: bool,
            expires_at: datetime | None, now: datetime) -> bool:
    """:func:`visible_clause` for one version, in Python (tests compare the two)."""
    mine = access.team_id == source_team_id
    return (may_read(access, level, source_team_id) and (mine or not contested)
            and (mine or not expired(expires_at, now)))
