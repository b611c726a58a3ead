"""Indicator lists (one value per line, or a CSV column) turned into STIX 2.1 indicators.

Each value gets a deterministic id (uuid5 of the feed and value), so re-runs never duplicate.
A value that disappears from the list gets a new indicator version with ``valid_until``; a value
that comes back gets a new version without it (STIX 2.1 §3.6 versioning, §4.7 indicator).
Classifying values and building indicators is shared with ``accord share``
(:mod:`accord.sharing.values`).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

from accord.sharing.values import ParsedList, indicator, pattern_for, stix_time
from feeds.listvalues import classify, split_line

__all__ = ["FORMATS", "ParsedList", "indicator", "indicator_id", "parse", "pattern_for",
           "stix_time"]

NAMESPACE = uuid.UUID("6f1d5c8e-3b7a-5e0f-9a41-2c7d8e9f0a1b")
FORMATS = ("lines", "csv")


def _cells(text: str, fmt: str, column: str | None) -> Iterator[tuple[int, str]]:
    if fmt == "lines":
        for number, line in enumerate(text.splitlines(), 1):
            value = split_line(line)
            if value is not None:
                yield number, value
        return
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip().lower() for name in header]
    wanted = (column or names[0]).strip().lower()
    if wanted.isdigit():
        index = int(wanted)
    elif wanted in names:
        index = names.index(wanted)
    else:
        raise ValueError(f"CSV column {column!r} not found; columns are {', '.join(names)}")
    for number, row in enumerate(reader, 2):
        if len(row) > index and row[index].strip() and not row[0].startswith("#"):
            yield number, row[index].strip()


def parse(text: str, fmt: str = "lines", column: str | None = None,
          allow_private: bool = False) -> ParsedList:
    """Read a list; bad lines and junk values are rejected one by one with their line number."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    parsed = ParsedList()
    for number, cell in _cells(text, fmt, column):
        try:
            value, pattern = classify(cell, allow_private)
        except ValueError as exc:
            parsed.rejected.append({"line": number, "reason": str(exc)})
            continue
        parsed.values.setdefault(value, pattern)
        parsed.lines.setdefault(value, number)
    return parsed


def indicator_id(feed_id: uuid.UUID, value: str) -> str:
    """The stable id of the indicator for ``value`` in one feed."""
    return f"indicator--{uuid.uuid5(NAMESPACE, f'{feed_id}|{value}')}"
