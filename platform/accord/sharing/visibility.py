"""The TLP read policy as a SQL condition, so filtering happens in the database (rule 3).

:func:`accord.tlp.may_read` is the rule; :func:`visible_clause` asks the same question of every
row at once. Both are derived from the same levels, and a test checks they agree. Contested
versions (written by a team that could not read the id's existing versions, see
:mod:`accord.sharing.ingest`) are visible to their writing team only.

:func:`visible_template` is the same condition with bound parameters in place of the reader
(:func:`visibility_params` fills them), so a hot read path builds its statement once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_

from accord.models.stix import StixObject
from accord.tlp import ReadAccess, Tlp, may_read, readable_levels

TEAM, OWN, OTHERS = "vis_team", "vis_own_levels", "vis_other_levels"


def _visible(table: Any, team: Any, own: Any, others: Any) -> ColumnElement[bool]:
    """Rows of ``table`` shared by ``team`` at one of ``own``, or by anyone at ``others``."""
    mine = table.source_team_id == team
    readable = or_(and_(mine, table.tlp.in_(own)), table.tlp.in_(others))
    return and_(readable, or_(table.contested.is_(False), mine))


def visibility_params(access: ReadAccess) -> dict[str, Any]:
    """The reader's values for :func:`visible_template`: its team and the levels it reads."""
    own_levels = [level for level in Tlp if may_read(access, level, access.team_id)]
    return {TEAM: access.team_id, OWN: own_levels, OTHERS: readable_levels(access)}


def visible_clause(access: ReadAccess, table: Any = StixObject) -> ColumnElement[bool]:
    """Rows of ``table`` (``StixObject`` or an alias of it) the reader may see."""
    values = visibility_params(access)
    return _visible(table, values[TEAM], values[OWN], values[OTHERS])


def visible_template(table: Any = StixObject) -> ColumnElement[bool]:
    """:func:`visible_clause` for any reader, with its values as bound parameters."""
    return _visible(table, bindparam(TEAM), bindparam(OWN, expanding=True),
                    bindparam(OTHERS, expanding=True))
