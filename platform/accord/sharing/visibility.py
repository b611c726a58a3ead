"""The TLP read policy as a SQL condition, so filtering happens in the database (rule 3).

:func:`accord.tlp.may_read` is the rule; :func:`visible_clause` asks the same question of every
row at once. Both are derived from the same levels, and a test checks they agree. Contested
versions (written by a team that could not read the id's existing versions, see
:mod:`accord.sharing.ingest`) are visible to their writing team only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from accord.models.stix import StixObject
from accord.tlp import ReadAccess, Tlp, may_read, readable_levels


def visible_clause(access: ReadAccess, table: Any = StixObject) -> ColumnElement[bool]:
    """Rows of ``table`` (``StixObject`` or an alias of it) the reader may see."""
    own_levels = [level for level in Tlp if may_read(access, level, access.team_id)]
    others = readable_levels(access)
    mine = table.source_team_id == access.team_id
    own = and_(mine, table.tlp.in_(own_levels)) if own_levels else false()
    readable = or_(own, table.tlp.in_(others)) if others else own
    return and_(readable, or_(table.contested.is_(False), mine))
