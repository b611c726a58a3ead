"""STIX/TAXII timestamps: lenient RFC 3339 parsing in, six fractional digits out (TAXII 2.1 s2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$"
)

# What servers and clients mostly send: "Z", 0 to 6 fraction digits, nothing to strip.
_PLAIN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")


@lru_cache(maxsize=8192)
def _plain(text: str) -> datetime | None:
    """The common form, by the C parser (same value); None if it is not that form.

    Memoised: an object's created and modified, and a batch's objects, often share a text, and
    ingest reads each timestamp more than once (validation, then the stored version).
    """
    if _PLAIN.fullmatch(text):
        with suppress(ValueError):
            return datetime.fromisoformat(text)
    return None


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from an RFC 3339 timestamp; ValueError if it is not one.

    Accepts 0 to 9 fractional digits (taxii2-client sends 0 to 6); digits past the sixth are cut.
    """
    if not isinstance(text, str):
        raise ValueError("not a timestamp")
    plain = _plain(text) if type(text) is str else _plain.__wrapped__(text)
    if plain is not None:
        return plain
    match = _RFC3339.match(text.strip())
    if not match:
        raise ValueError(f"{text[:60]!r} is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        value = datetime.fromisoformat(
            f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micro:06d}{offset}")
        return value.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: the offset leaves years 1-9999
        raise ValueError(f"{text[:60]!r} is not a valid date and time") from None


def format_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, as TAXII 2.1 section 2 asks of servers."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def object_version(obj: Mapping[str, Any]) -> datetime | None:
    """A STIX object's version: ``modified``, else ``created``; None if it has neither."""
    text = obj.get("modified") or obj.get("created")
    if not isinstance(text, str):
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None
