"""Reading objects from a collection: filters, TLP visibility and keyset pages (TAXII 2.1 s3.4).

Pages are keyed on the server's ``date_added``, which is unique and strictly increasing per
collection (rule 7): a page ends at a row, and the next one starts strictly after it, so a
reader never misses or repeats an object, whatever others write meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from accord.db import utcnow
from accord.models.stix import StixObject
from accord.sharing.raw_rows import Converters, converters, untyped
from accord.sharing.visibility import visibility_params, visible_clause, visible_template
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


@dataclass(kw_only=True)
class RawPage(Page):
    """A page whose rows hold the driver's values (:mod:`accord.sharing.raw_rows`), in the
    order of the columns asked for, then ``date_added``; ``converters`` gives Python values."""

    converters: Converters

    def _added(self, row: Any) -> datetime | None:
        added: datetime | None = self.converters.converter("date_added")(row[-1])
        return added

    @property
    def first_added(self) -> datetime | None:
        return self._added(self.rows[0]) if self.rows else None

    @property
    def last_added(self) -> datetime | None:
        return self._added(self.rows[-1]) if self.rows else None


@dataclass(frozen=True)
class _Inputs:
    """What a read's WHERE compares with: the values of one read, or the bound parameters of
    a statement built once for every read of its shape. ``None`` means "no such filter"."""

    collection: Any
    visible: Callable[[Any], ColumnElement[bool]]
    versions: VersionFilter
    ids: Any = None
    types: Any = None
    spec_versions: Any = None
    added_after: Any = None
    exact: Any = None


def _version_clause(inputs: _Inputs, by_id: bool = False) -> ColumnElement[bool] | None:
    """``match[version]`` over the versions this reader may see (TAXII 2.1 s3.4.1): ``last``
    is the newest visible version, ``first`` the oldest, so a hidden version neither hides
    the ones the reader may see nor shows that it exists."""
    versions = inputs.versions
    if versions.all:
        return None
    parts: list[ColumnElement[bool]] = []
    other = aliased(StixObject)
    same_object = and_(other.collection_id == StixObject.collection_id,
                       other.stix_id == StixObject.stix_id, inputs.visible(other))
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
    if inputs.exact is not None:
        parts.append(StixObject.version.in_(inputs.exact))
    return or_(*parts) if parts else None


def _where(inputs: _Inputs) -> list[ColumnElement[bool]]:
    """Every WHERE condition of a read: collection, TLP policy and the client's filters."""
    where = [StixObject.collection_id == inputs.collection, inputs.visible(StixObject)]
    if inputs.ids is not None:
        where.append(StixObject.stix_id.in_(inputs.ids))
    if inputs.types is not None:
        where.append(StixObject.stix_type.in_(inputs.types))
    if inputs.spec_versions is not None:
        where.append(StixObject.spec_version.in_(inputs.spec_versions))
    if inputs.added_after is not None:
        where.append(StixObject.date_added > inputs.added_after)
    version = _version_clause(inputs, by_id=inputs.ids is not None)
    if version is not None:
        where.append(version)
    return where


def _values(filters: ObjectFilter) -> dict[str, Any]:
    """The client's filter values by name; a filter not given is left out."""
    values = {"ids": filters.ids, "types": filters.types,
              "spec_versions": filters.spec_versions, "added_after": filters.added_after,
              "exact": filters.versions.exact}
    return {name: value for name, value in values.items() if value}


def conditions(collection_id: uuid.UUID, access: ReadAccess, filters: ObjectFilter,
               now: datetime | None = None) -> list[ColumnElement[bool]]:
    """Every WHERE condition of a read: collection, read policy (TLP, and IEP validity at
    ``now``, default the hub's clock) and the client's filters. One ``now`` for the row and
    for ``match[version]``, so an expired newest version makes the previous one the last."""
    moment = now or utcnow()
    return _where(_Inputs(collection=collection_id, versions=filters.versions,
                          visible=partial(_visible_at, access, moment), **_values(filters)))


def _visible_at(access: ReadAccess, now: datetime, table: Any) -> ColumnElement[bool]:
    return visible_clause(access, table, now)


@dataclass(frozen=True)
class _Shape:
    """What a page statement's structure depends on (its values are bound parameters)."""

    columns: tuple[str, ...]
    filters: frozenset[str]
    last: bool
    first: bool
    all: bool
    after: bool
    raw: bool = False


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape) -> Select[Any]:
    """The page query of one shape, built once per process (SQLAlchemy's expression building
    cost more than a get-object's own SQL; issue 15). A pure function of ``shape``."""
    expanding = {"ids", "types", "spec_versions", "exact"}
    params: dict[str, Any] = {name: bindparam(name, expanding=name in expanding)
                              for name in shape.filters}
    inputs = _Inputs(collection=bindparam("collection"), visible=visible_template,
                     versions=VersionFilter(last=shape.last, first=shape.first, all=shape.all),
                     **params)
    where = _where(inputs)
    if shape.after:
        where.append(StixObject.date_added > bindparam("after"))
    columns = [getattr(StixObject, name) for name in (*shape.columns, "date_added")]
    if shape.raw:
        columns = [untyped(column, column.key) for column in columns]
    return (select(*columns).where(and_(*where))
            .order_by(_date_order("ids" in shape.filters))
            .limit(bindparam("limit", type_=Integer)))


def _stix_columns(columns: Sequence[Any]) -> tuple[str, ...] | None:
    """The names of ``columns`` if every one is a plain ``StixObject`` column, else None."""
    names = tuple(getattr(column, "key", "") for column in columns)
    plain = all(isinstance(column, InstrumentedAttribute) and column.class_ is StixObject
                for column in columns)
    return names if plain else None


def _date_order(by_id: bool) -> ColumnElement[Any]:
    """``date_added`` order; for id lookups as an expression, so the few versions of the ids
    are sorted after an index lookup by id rather than found by scanning in date order
    (SQLite's planner, without statistics, prefers any index that gives the order)."""
    if by_id:
        return func.coalesce(StixObject.date_added, StixObject.date_added)
    return StixObject.date_added.expression


def _plain_statement(names: tuple[str, ...], filters: ObjectFilter, access: ReadAccess,
                     collection_id: uuid.UUID, limit: int, after: datetime | None,
                     now: datetime | None, raw: bool) -> tuple[Select[Any], dict[str, Any]]:
    """The cached page statement for plain columns ``names`` and its parameters."""
    values = _values(filters)
    versions = filters.versions
    query = _page_statement(_Shape(names, frozenset(values), versions.last, versions.first,
                                   versions.all, after is not None, raw))
    params = {**values, **visibility_params(access, now), "collection": collection_id,
              "limit": limit + 1, **({"after": after} if after is not None else {})}
    return query, params


def read_page(session: Session, columns: Sequence[Any], collection_id: uuid.UUID,
              access: ReadAccess, filters: ObjectFilter, limit: int,
              after: datetime | None = None, now: datetime | None = None) -> Page:
    """Up to ``limit`` visible rows (the given columns plus ``date_added``) in date order."""
    names = _stix_columns(columns)
    if names is not None:
        query, params = _plain_statement(names, filters, access, collection_id, limit, after,
                                         now, raw=False)
        # Core execution: plain column rows need none of the ORM's per-row loading (issue 15).
        rows = list(session.connection().execute(query, params).all())
        return Page(rows=rows[:limit], more=len(rows) > limit)
    where = conditions(collection_id, access, filters, now)
    if after is not None:
        where.append(StixObject.date_added > after)
    query = (select(*columns, StixObject.date_added).where(and_(*where))
             .order_by(_date_order(bool(filters.ids))).limit(limit + 1))
    rows = list(session.execute(query))
    return Page(rows=rows[:limit], more=len(rows) > limit)


def read_raw_page(session: Session, columns: Sequence[InstrumentedAttribute[Any]],
                  collection_id: uuid.UUID, access: ReadAccess, filters: ObjectFilter,
                  limit: int, after: datetime | None = None,
                  now: datetime | None = None) -> RawPage:
    """:func:`read_page` of plain ``StixObject`` columns, the rows left as the driver gives
    them: a page served verbatim converts only the few values it uses (issue 15)."""
    names = _stix_columns(columns)
    if names is None:
        raise TypeError("read_raw_page reads plain StixObject columns only")
    query, params = _plain_statement(names, filters, access, collection_id, limit, after, now,
                                     raw=True)
    connection = session.connection()
    result = connection.execute(query, params)
    codes = tuple(entry[1] for entry in result.cursor.description or ())
    rows = list(result.all())
    types = tuple(getattr(StixObject, name).type for name in (*names, "date_added"))
    convert = converters(connection.dialect, (*names, "date_added"), types, codes)
    return RawPage(rows=rows[:limit], more=len(rows) > limit, converters=convert)


def count_visible(session: Session, collection_id: uuid.UUID, access: ReadAccess,
                  filters: ObjectFilter) -> int:
    """How many rows a reader would see (for pages that show totals)."""
    where = conditions(collection_id, access, filters)
    return int(session.scalar(select(func.count()).select_from(StixObject)
                              .where(and_(*where))) or 0)
