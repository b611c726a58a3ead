"""Plain indicator values (IP, CIDR, domain, URL, hash) to STIX 2.1 indicators and back.

Used by list feeds (``feeds.lists``) and ``accord share``/``accord export``. Patterns follow
STIX 2.1 section 9 (patterning) with the cyber-observable types of section 6; indicators follow
section 4.7. :func:`values_of_pattern` reads simple patterns back into values for blocklists.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.tlp import Tlp, marking_ref

HASHES = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*"
                    r"\.[a-z]{2,63}$", re.IGNORECASE)
HEX = re.compile(r"^[0-9a-f]+$", re.IGNORECASE)
URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/$.?#][^\s]*$", re.IGNORECASE)
NOT_A_VALUE = "is not an IP address, CIDR, domain, URL or MD5/SHA hash"

# One comparison of a simple pattern: ``type:value = '...'`` or ``file:hashes.'ALG' = '...'``.
_COMPARISON = re.compile(
    r"\s*(?P<type>[a-z0-9][a-z0-9-]*):(?P<path>value|hashes\.(?:'[^']+'|[A-Za-z0-9-]+))"
    r"\s*=\s*'(?P<literal>(?:[^'\\]|\\['\\])*)'\s*")
_OPEN = re.compile(r"\s*\[")
_CLOSE = re.compile(r"\s*\]")
_OR = re.compile(r"\s*OR\b")
_ESCAPE = re.compile(r"\\(['\\])")


@dataclass
class ParsedList:
    """Values found in a list (in order, unique) and the lines that were not values."""

    values: dict[str, str] = field(default_factory=dict)  # value -> STIX pattern
    rejected: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # value -> first line it is on

    def add(self, number: int, cell: str) -> None:
        """Record ``cell`` from line ``number``: a value, or a rejected line with its reason."""
        try:
            value, pattern = pattern_for(cell)
        except ValueError as exc:
            self.rejected.append({"line": number, "reason": str(exc)})
            return
        self.values.setdefault(value, pattern)
        self.lines.setdefault(value, number)


def quote(value: str) -> str:
    """A STIX pattern string literal (section 9.3: quote and backslash escaped)."""
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
        return str(address), f"[{kind}:value = {quote(str(address))}]"
    except ValueError:
        pass
    if URL.match(value):
        return value, f"[url:value = {quote(value)}]"
    if HEX.match(value) and len(value) in HASHES:
        digest = value.lower()
        return digest, f"[file:hashes.'{HASHES[len(value)]}' = {quote(digest)}]"
    domain = value.lower().rstrip(".")
    if DOMAIN.match(domain):
        return domain, f"[domain-name:value = {quote(domain)}]"
    raise ValueError(f"{value[:100]!r} {NOT_A_VALUE}")


def value_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, value) for each line holding one; ``#`` comments and blanks are skipped.

    The first word of a line is its value, so ``198.51.100.1  scanner`` works. A URL keeps its
    ``#fragment``; elsewhere ``#`` starts a comment.
    """
    for number, line in enumerate(text.splitlines(), 1):
        text = line.strip()
        stripped = text if URL.match(text) else text.split("#", 1)[0].strip()
        if stripped:
            yield number, stripped.split()[0]


def parse_lines(text: str) -> ParsedList:
    """Read a list of values, one a line; bad lines are rejected with their line number."""
    parsed = ParsedList()
    for number, cell in value_lines(text):
        parsed.add(number, cell)
    return parsed


def stix_time(moment: datetime) -> str:
    """STIX timestamp with millisecond precision (section 3.2)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def indicator(*, stix_id: str, value: str, pattern: str, created: datetime, modified: datetime,
              valid_from: datetime, tlp: Tlp, labels: list[str], author_identity: str,
              valid_until: datetime | None = None) -> dict[str, Any]:
    """One indicator version for a plain value (section 4.7)."""
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


def _comparison(pattern: str, pos: int) -> tuple[str, int] | None:
    match = _COMPARISON.match(pattern, pos)
    if match is None:
        return None
    value = _ESCAPE.sub(r"\1", match["literal"])
    return (value.lower() if match["path"] != "value" else value), match.end()


def values_of_pattern(pattern: str) -> list[str] | None:
    """The values of a simple pattern, or None if it is anything else (section 9.2).

    Simple means equality comparisons on ``value`` or ``hashes`` joined by ``OR``, within or
    between observation expressions: each value alone matches the pattern, so each can be
    blocked alone. ``AND``, other operators and qualifiers are not simple.
    """
    values: list[str] = []
    pos = 0
    while True:
        opened = _OPEN.match(pattern, pos)
        if opened is None:
            return None
        pos = opened.end()
        while True:
            found = _comparison(pattern, pos)
            if found is None:
                return None
            values.append(found[0])
            pos = found[1]
            joined = _OR.match(pattern, pos)
            if joined is None:
                break
            pos = joined.end()
        closed = _CLOSE.match(pattern, pos)
        if closed is None:
            return None
        pos = closed.end()
        if not pattern[pos:].strip():
            return values
        joined = _OR.match(pattern, pos)
        if joined is None:
            return None
        pos = joined.end()
