"""Indicator lists (one value per line, or a CSV column) turned into STIX 2.1 indicators.

Each value gets a deterministic id (uuid5 of the feed and value), so re-runs never duplicate.
A value that disappears from the list gets a new indicator version with ``valid_until``; a value
that comes back gets a new version without it (STIX 2.1 §3.6 versioning, §4.7 indicator).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.tlp import Tlp, marking_ref

NAMESPACE = uuid.UUID("6f1d5c8e-3b7a-5e0f-9a41-2c7d8e9f0a1b")
HASHES = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*"
                    r"\.[a-z]{2,63}$", re.IGNORECASE)
HEX = re.compile(r"^[0-9a-f]+$", re.IGNORECASE)
URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/$.?#][^\s]*$", re.IGNORECASE)
FORMATS = ("lines", "csv")


@dataclass
class ParsedList:
    """Values found in a list (in order, unique) and the lines that were not values."""

    values: dict[str, str] = field(default_factory=dict)  # value -> STIX pattern
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(raw: str) -> tuple[str, str]:
    """The normalised value and its STIX pattern; ValueError names what is wrong."""
    value = raw.strip()
    if not value:
        raise ValueError("empty value")
    try:
        address: Any = (ipaddress.ip_network(value, strict=False) if "/" in value
                        else ipaddress.ip_address(value))
        kind = "ipv4-addr" if address.version == 4 else "ipv6-addr"
        return str(address), f"[{kind}:value = {_quote(str(address))}]"
    except ValueError:
        pass
    if URL.match(value):
        return value, f"[url:value = {_quote(value)}]"
    if HEX.match(value) and len(value) in HASHES:
        digest = value.lower()
        return digest, f"[file:hashes.'{HASHES[len(value)]}' = {_quote(digest)}]"
    domain = value.lower().rstrip(".")
    if DOMAIN.match(domain):
        return domain, f"[domain-name:value = {_quote(domain)}]"
    raise ValueError(f"{value[:100]!r} is not an IP address, CIDR, domain, URL or MD5/SHA hash")


def _cells(text: str, fmt: str, column: str | None) -> Iterator[tuple[int, str]]:
    if fmt == "lines":
        for number, line in enumerate(text.splitlines(), 1):
            text = line.strip()
            stripped = text if URL.match(text) else text.split("#", 1)[0].strip()
            if stripped:
                yield number, stripped.split()[0]
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


def parse(text: str, fmt: str = "lines", column: str | None = None) -> ParsedList:
    """Read a list; bad lines are rejected one by one with their line number."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    parsed = ParsedList()
    for number, cell in _cells(text, fmt, column):
        try:
            value, pattern = pattern_for(cell)
        except ValueError as exc:
            parsed.rejected.append({"line": number, "reason": str(exc)})
            continue
        parsed.values.setdefault(value, pattern)
    return parsed


def indicator_id(feed_id: uuid.UUID, value: str) -> str:
    """The stable id of the indicator for ``value`` in one feed."""
    return f"indicator--{uuid.uuid5(NAMESPACE, f'{feed_id}|{value}')}"


def stix_time(moment: datetime) -> str:
    """STIX timestamp with millisecond precision."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def indicator(*, stix_id: str, value: str, pattern: str, created: datetime, modified: datetime,
              valid_from: datetime, tlp: Tlp, labels: list[str], author_identity: str,
              valid_until: datetime | None = None) -> dict[str, Any]:
    """One indicator version for a list value."""
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id,
        "created": stix_time(created),
        "modified": stix_time(modified),
        "created_by_ref": author_identity,
        "name": value,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": stix_time(valid_from),
        "indicator_types": ["malicious-activity"],
        "object_marking_refs": [marking_ref(tlp)],
    }
    if labels:
        obj["labels"] = labels
    if valid_until is not None:
        obj["valid_until"] = stix_time(valid_until)
    return obj
