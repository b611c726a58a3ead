"""Reading objects from a collection: filters, TLP visibility and keyset pages (TAXII 2.1 s3.4).

Pages are keyed on the server's ``date_added``, which is unique and strictly increasing per
collection (rule 7): a page ends at a row, and the next one starts strictly after it, so a
reader never misses or repeats an object, whatever others write meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from accord.db import utcnow
from accord.models.stix import StixObject
from accord.sharing.visibility import visible_clause
from accord.tlp import ReadAccess


@dataclass(frozen=True)
class VersionFilter:
    """``match[version]``: any of ``last``, ``first``, ``all`` and exact timestamps."""

    last: bool = True
    first: bool = False
    all: bool = False
    exact: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class ObjectFilter:
    """The filters of one read (section 3.4.1); empty tuples mean 'no filter'."""

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionFilter = field(default_factory=VersionFilter)
    spec_versions: tuple[str, ...] = ()
    added_after: datetime | None = None


@dataclass
class DatedRows:
    """Rows that carry ``date_added``, with the first and last of them."""

    rows: list[Any]

    @property
    def first_added(self) -> datetime | None:
        return self.rows[0].date_added if self.rows else None

    @property
    def last_added(self) -> datetime | None:
        return self.rows[-1].date_added if self.rows else None


@dataclass
class Page(DatedRows):
    """One page of rows in ``date_added`` order, and whether more follow."""

    more: bool = False


def _version_clause(versions: VersionFilter, access: ReadAccess, now: datetime,
                    by_id: bool = False) -> ColumnElement[bool] | None:
    """``match[version]`` over the versions this reader may see (TAXII 2.1 s3.4.1): ``last``
    is the newest visible version, ``first`` the oldest, so a hidden version neither hides
    the ones the reader may see nor shows that it exists."""
    if versions.all:
        return None
    parts: list[ColumnElement[bool]] = []
    other = aliased(StixObject)
    same_object = and_(other.collection_id == StixObject.collection_id,
                       other.stix_id == StixObject.stix_id, visible_clause(access, other, now))
    if versions.last:
        # For id lookups the flag is wrapped so no planner picks the (collection, is_latest,
        # date_added) index and walks the whole collection instead of the stix_id index.
        latest = func.coalesce(StixObject.is_latest, False) if by_id else StixObject.is_latest
        # The newest version overall, if visible, is the newest visible one; otherwise a
        # version is the reader's last when no later version is visible to it.
        parts.append(or_(latest.is_(True), ~exists().where(
            same_object, other.version > StixObject.version)))
    if versions.first:
        parts.append(~exists().where(same_object, other.version < StixObject.version))
    if versions.exact:
        parts.append(StixObject.version.in_(versions.exact))
    return or_(*parts) if parts else None


def conditions(collection_id: uuid.UUID, access: ReadAccess, filters: ObjectFilter,
               now: datetime | None = None) -> list[ColumnElement[bool]]:
    """Every WHERE condition of a read: collection, read policy (TLP, and IEP validity at
    ``now``, default the hub's clock) and the client's filters. One ``now`` for the row and
    for ``match[version]``, so an expired newest version makes the previous one the last."""
    now = now or utcnow()
    where = [StixObject.collection_id == collection_id, visible_clause(access, now=now)]
    if filters.ids:
        where.append(StixObject.stix_id.in_(filters.ids))
    if filters.types:
        where.append(StixObject.stix_type.in_(filters.types))
    if filters.spec_versions:
        where.append(StixObject.spec_version.in_(filters.spec_versions))
    if filters.added_after is not None:
        where.append(StixObject.date_added > filters.added_after)
    version = _version_clause(filters.versions, access, now, by_id=bool(filters.ids))
    if version is not None:
        where.append(version)
    return where


def _date_order(by_id: bool) -> ColumnElement[Any]:
    """``date_added`` order; for id lookups as an expression, so the few versions of the ids
    are sorted after an index lookup by id rather than found by scanning in date order
    (SQLite's planner, without statistics, prefers any index that gives the order)."""
    if by_id:
        return func.coalesce(StixObject.date_added, StixObject.date_added)
    return StixObject.date_added.expression


def read_page(session: Session, columns: Sequence[Any], collection_id: uuid.UUID,
              access: ReadAccess, filters: ObjectFilter, limit: int,
              after: datetime | None = None, now: datetime | None = None) -> Page:
    """Up to ``limit`` visible rows (the given columns plus ``date_added``) in date order."""
    where = conditions(collection_id, access, filters, now)
    if after is not None:
        where.append(StixObject.date_added > after)
    query: Select[Any] = (select(*columns, StixObject.date_added).where(and_(*where))
                          .order_by(_date_order(bool(filters.ids))).limit(limit + 1))
    rows = list(session.execute(query))
    return Page(rows=rows[:limit], more=len(rows) > limit)


def count_visible(session: Session, collection_id: uuid.UUID, access: ReadAccess,
                  filters: ObjectFilter) -> int:
    """How many rows a reader would see (for pages that show totals)."""
    where = conditions(collection_id, access, filters)
    return int(session.scalar(select(func.count()).select_from(StixObject)
                              .where(and_(*where))) or 0)
