"""Checks shared by the services: a text value must fit the column that stores it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from accord.errors import BadRequest


def fits(value: str, column: InstrumentedAttribute[Any], field: str) -> str:
    """``value`` unchanged, or a BadRequest naming ``field`` if it is longer than ``column``.

    SQLite ignores ``VARCHAR(n)`` but PostgreSQL rejects longer values with a database error,
    so the limit is checked here for both.
    """
    length = getattr(column.type, "length", None)
    if length is not None and len(value) > length:
        raise BadRequest(f"{field}: at most {length} characters")
    return value
