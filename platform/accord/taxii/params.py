"""Query parameters of TAXII reads (section 3.4): every malformed one is a 400 naming it."""

from __future__ import annotations

import re
from datetime import datetime

from werkzeug.datastructures import MultiDict

from accord.errors import BadRequest
from accord.sharing.query import ObjectFilter, VersionFilter
from accord.sharing.timestamps import parse_timestamp

KNOWN = {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
         "match[spec_version]"}
MAX_VALUES = 500
_DIGITS = re.compile(r"[0-9]{1,100}")


def single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name}: given {len(values)} times; give it at most once")
    return values[0] if values else None


def _list(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    value = single(args, name)
    if value is None:
        return ()
    items = tuple(item.strip() for item in value.split(","))
    if any(not item for item in items):
        raise BadRequest(f"{name}: empty value in {value[:80]!r}")
    if len(items) > MAX_VALUES:
        raise BadRequest(f"{name}: at most {MAX_VALUES} values")
    if len(set(items)) != len(items):
        raise BadRequest(f"{name}: a value is repeated")
    return items


def _timestamp(name: str, text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except ValueError:
        raise BadRequest(f"{name}: {text[:60]!r} is not an RFC 3339 timestamp") from None


def versions(args: MultiDict[str, str]) -> VersionFilter:
    """``match[version]`` (section 3.4.1): default ``last``."""
    items = _list(args, "match[version]")
    if not items:
        return VersionFilter()
    if "all" in items and len(items) > 1:
        raise BadRequest("match[version]: 'all' cannot be combined with other values")
    exact = tuple(_timestamp("match[version]", item) for item in items
                  if item not in ("all", "first", "last"))
    return VersionFilter(last="last" in items, first="first" in items, all="all" in items,
                         exact=exact)


def limit(args: MultiDict[str, str], page_size: int) -> int:
    """The page size: the client's ``limit`` capped by the server's."""
    value = single(args, "limit")
    if value is None:
        return page_size
    if not _DIGITS.fullmatch(value) or int(value) <= 0:  # str.isdigit admits '²', int() does not
        raise BadRequest(f"limit: {value[:40]!r} is not a positive integer")
    return min(int(value), page_size)


def object_filter(args: MultiDict[str, str], *, fixed_id: str | None = None,
                  allow_version: bool = True) -> ObjectFilter:
    """The filters of an objects, manifest, object or versions request."""
    unknown = sorted(key for key in args if key.startswith("match[") and key not in KNOWN)
    if unknown:
        raise BadRequest(f"{unknown[0]}: not a TAXII 2.1 filter")
    added_after = single(args, "added_after")
    if fixed_id is not None and "match[id]" in args:
        raise BadRequest("match[id]: not allowed on a single-object endpoint")
    return ObjectFilter(
        ids=(fixed_id,) if fixed_id is not None else _list(args, "match[id]"),
        types=_list(args, "match[type]"),
        versions=versions(args) if allow_version else VersionFilter(all=True),
        spec_versions=_list(args, "match[spec_version]"),
        added_after=_timestamp("added_after", added_after) if added_after is not None else None,
    )
