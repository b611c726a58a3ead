"""One executemany INSERT of many rows with each bind value prepared once (issue 15).

SQLAlchemy runs every column's bind processor (UUIDs to text on SQLite, the UTC check of
timestamps, JSON encoding, booleans, enums) on every row, although most values of an ingest
batch repeat (its collection, team, user, token, version, flags, TLP). :func:`insert_rows`
sends the statement SQLAlchemy compiles for the table, with the values those same processors
give, each distinct value processed once, straight to the driver's ``executemany``: the SQL
text and the bound values are SQLAlchemy's own, so the stored rows are the same
(tests/accord/test_bulkinsert.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


def _processed(processor: Processor | None, values: list[Any]) -> list[Any]:
    """One column's values through its bind processor, each distinct value once. Values that
    compare equal (an instant in two time zones, ``Tlp.RED`` and ``"red"``) are processed
    alike by the hub's column types, so one result serves them all."""
    if processor is None:
        return values
    try:
        done = {value: processor(value) for value in set(values)}
    except TypeError:  # an unhashable value (a JSON document): each processed on its own
        return [processor(value) for value in values]
    return list(map(done.__getitem__, values))


def _defaults(compiled: SQLCompiler) -> dict[str, Any] | None:
    """Scalar Python defaults of the columns the rows leave out; None if one is not scalar."""
    values: dict[str, Any] = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if default is None or not default.is_scalar:
            return None
        values[column.key] = default.arg  # type: ignore[attr-defined]
    return values


@lru_cache(maxsize=64)
def _compiled(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> SQLCompiler:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    return compiled


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``connection.execute(insert(table), rows)``, with bind processing done per distinct
    value. Every row must have the same keys, and the columns left out scalar defaults (or
    none); otherwise the ordinary executemany runs."""
    if not rows:
        return
    compiled = _compiled(table, connection.dialect, tuple(rows[0]))
    defaults = _defaults(compiled)
    found = compiled._bind_processors
    if defaults is None or any(not callable(processor) for processor in found.values()) or \
            any(row.keys() != rows[0].keys() for row in rows):
        connection.execute(insert(table), list(rows))
        return
    names = list(compiled.positiontup or ()) if compiled.positional else \
        list(compiled.bind_names.values())
    columns = [_processed(found.get(name),  # type: ignore[arg-type]  # callable, checked above
                          [row[name] for row in rows] if name in rows[0]
                          else [defaults[name]] * len(rows))
               for name in names]
    params: list[Any] = list(zip(*columns, strict=True)) if compiled.positional else \
        [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    connection.exec_driver_sql(compiled.string, params)
