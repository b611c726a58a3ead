"""Result rows as the database driver returns them, each value converted only where used.

SQLAlchemy converts every value of every result row (a timestamp parsed and made aware, a TLP
looked up, a UUID decoded): about 4 ms for a page of 1,000 rows, though a page served verbatim
uses few of those values (issue 15). A statement here selects its columns without their types
(:func:`untyped`), and :class:`Converters` keeps, for each column, the very result processor
SQLAlchemy would have applied, to convert a value when it is needed: the same values, paid for
only when used. Every column kind read this way reads a NULL as None and text as the same
``str`` whether converted or not, so a caller may test a raw value for None, or use raw text,
without converting it (tests/accord/test_raw_rows.py checks this on both databases).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Dialect, type_coerce
from sqlalchemy.types import NullType, TypeEngine

Convert = Callable[[Any], Any]

_RAW = NullType()  # no result processor: the driver's value as it comes


def untyped(column: Any, name: str) -> ColumnElement[Any]:
    """``column`` selected as ``name`` without its type's conversion of results."""
    return type_coerce(column, _RAW).label(name)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Converters:
    """How to turn the raw values of one statement's columns into their Python values."""

    names: tuple[str, ...]
    functions: tuple[Convert, ...]
    row_type: type[tuple[Any, ...]]

    def converter(self, name: str) -> Convert:
        """The conversion of column ``name`` (identity where the type converts nothing)."""
        return self.functions[self.names.index(name)]

    def typed(self, row: Sequence[Any]) -> Any:
        """One raw row converted whole: a named tuple of the Python values, as an ordinary
        result row would have held them (attribute and positional access, ``_fields``)."""
        return self.row_type(*[convert(value) for convert, value
                               in zip(self.functions, row, strict=True)])


@lru_cache(maxsize=256)
def converters(dialect: Dialect, names: tuple[str, ...],
               types: tuple[TypeEngine[Any], ...], codes: tuple[Any, ...]) -> Converters:
    """The converters of columns ``names`` of ``types``, for the driver's type ``codes`` (its
    cursor description's; what SQLAlchemy gives a type to pick its result processor)."""
    functions = []
    for type_, code in zip(types, codes, strict=True):
        process = type_.dialect_impl(dialect).result_processor(dialect, code)
        functions.append(_same if process is None else process)
    return Converters(names, tuple(functions), namedtuple("RawRow", names))
