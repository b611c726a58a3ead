"""The TLP read policy as a SQL condition, so filtering happens in the database (rule 3).

:func:`accord.tlp.may_read` is the rule; :func:`visible_clause` asks the same question of every
row at once. Both are derived from the same levels, and a test checks they agree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_

from accord.models.stix import StixObject
from accord.tlp import ReadAccess, Tlp, may_read, readable_levels


def visible_clause(access: ReadAccess) -> ColumnElement[bool]:
    """Rows of ``StixObject`` the reader may see under :func:`accord.tlp.may_read`."""
    own_levels = [level for level in Tlp if may_read(access, level, access.team_id)]
    others = readable_levels(access)
    own = and_(StixObject.source_team_id == access.team_id, StixObject.tlp.in_(own_levels)) \
        if own_levels else false()
    return or_(own, StixObject.tlp.in_(others)) if others else own
