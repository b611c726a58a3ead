"""Checks shared by the services: text must fit its column, numbers must be finite and in range."""

from __future__ import annotations

import math
import re
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


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
MAX_NUMBER_TEXT = 40


def number(value: object, field: str, *, minimum: float = -math.inf, maximum: float = math.inf,
           whole: bool = False) -> float:
    """A finite number from JSON or form text within [minimum, maximum]; 400 naming ``field``.

    The one parser for counts, limits, days and seconds from outside: it refuses booleans,
    ``inf``, ``nan``, non-ASCII digits (``str.isdigit`` admits ``²``) and values out of range,
    so no later ``int()``, ``timedelta`` or database column overflows.
    """
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT or not _NUMBER.fullmatch(text):
            raise BadRequest(f"{field}: {text[:MAX_NUMBER_TEXT]!r} is not a number")
        value = float(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{field}: must be a number")
    if isinstance(value, int) and abs(value) > 2 ** 63:
        value = math.inf if value > 0 else -math.inf
    result = float(value)
    if whole and math.isfinite(result) and result != int(result):
        raise BadRequest(f"{field}: must be a whole number")
    if not minimum <= result <= maximum:  # also refuses NaN and the infinities
        low = "" if minimum == -math.inf else f" at least {_shown(minimum)}"
        high = "" if maximum == math.inf else f" at most {_shown(maximum)}"
        joined = " and".join(part for part in (low, high) if part) or " finite"
        raise BadRequest(f"{field}: must be{joined}")
    return result


def _shown(limit: float) -> str:
    return str(int(limit)) if limit == int(limit) else f"{limit:g}"


def whole_number(value: object, field: str, *, minimum: int, maximum: int) -> int:
    """An integer within [minimum, maximum] (see :func:`number`); 400 naming ``field``."""
    return int(number(value, field, minimum=minimum, maximum=maximum, whole=True))
