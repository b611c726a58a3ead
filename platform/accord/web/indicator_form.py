"""The share page's short form: one value becomes a STIX 2.1 indicator (STIX 2.1 s4.7, s9).

A value is classified (or checked against the type the analyst chose) and turned into a STIX
pattern whose string literal is escaped as the pattern grammar requires (STIX 2.1 s9.2: a
backslash and a single quote are escaped with a backslash). The indicator is attributed to the
team's identity (``created_by_ref``) and carries the OASIS TLP 2.0 marking.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from accord.errors import BadRequest
from accord.sharing.timestamps import format_timestamp
from accord.tlp import Tlp, marking_ref

MAX_VALUE = 2048
MAX_TEXT = 2000
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*"
                     r"\.[a-z][a-z0-9-]{0,62}$", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/?#]+\S*$", re.IGNORECASE)


def _hex(length: int) -> Callable[[str], bool]:
    pattern = re.compile(rf"^[0-9a-f]{{{length}}}$", re.IGNORECASE)
    return lambda value: bool(pattern.match(value))


def _ip(version: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            return ipaddress.ip_network(value, strict=False).version == version
        except ValueError:
            return False
    return check


@dataclass(frozen=True)
class ValueKind:
    """One kind of value: how to recognise it and the object path its pattern compares."""

    key: str
    label: str
    path: str
    matches: Callable[[str], bool]


# Checked in this order by "auto": hashes before domains, URLs before domains.
KINDS: dict[str, ValueKind] = {kind.key: kind for kind in (
    ValueKind("ipv4", "IPv4 address", "ipv4-addr:value", _ip(4)),
    ValueKind("ipv6", "IPv6 address", "ipv6-addr:value", _ip(6)),
    ValueKind("md5", "MD5 hash", "file:hashes.MD5", _hex(32)),
    ValueKind("sha1", "SHA-1 hash", "file:hashes.'SHA-1'", _hex(40)),
    ValueKind("sha256", "SHA-256 hash", "file:hashes.'SHA-256'", _hex(64)),
    ValueKind("url", "URL", "url:value", lambda value: bool(_URL.match(value))),
    ValueKind("domain", "Domain name", "domain-name:value",
              lambda value: bool(_DOMAIN.match(value))),
)}


def classify(value: str, chosen: str = "auto") -> ValueKind:
    """The kind of ``value``: the one chosen if it fits, else the first that matches; 400 else."""
    if chosen and chosen != "auto":
        kind = KINDS.get(chosen)
        if kind is None:
            raise BadRequest(f"type: {chosen[:40]!r} is not one of auto, {', '.join(KINDS)}")
        if not kind.matches(value):
            raise BadRequest(f"value: {value[:80]!r} is not a valid {kind.label}")
        return kind
    for kind in KINDS.values():
        if kind.matches(value):
            return kind
    raise BadRequest(f"value: {value[:80]!r} is not an IP address, domain, URL or "
                     "MD5/SHA-1/SHA-256 hash")


def quote(value: str) -> str:
    """A STIX pattern string literal (STIX 2.1 s9.2): backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: ValueKind, value: str) -> str:
    """``[ipv4-addr:value = '198.51.100.7']``; hashes are compared in lower case."""
    literal = value.lower() if kind.path.startswith("file:hashes") else value
    return f"[{kind.path} = {quote(literal)}]"


@dataclass(frozen=True)
class IndicatorRequest:
    """What the analyst typed into the short form."""

    value: str
    kind: str = "auto"
    tlp: Tlp = Tlp.AMBER
    name: str = ""
    description: str = ""
    valid_until: date | None = None


def parse_request(form: dict[str, str]) -> IndicatorRequest:
    """Read and check the form fields; a bad field is a 400 that names it."""
    value = form.get("value", "").strip()
    if not value:
        raise BadRequest("value: enter the IP address, domain, URL or hash to share")
    if len(value) > MAX_VALUE:
        raise BadRequest(f"value: at most {MAX_VALUE} characters")
    try:
        tlp = Tlp.parse(form.get("tlp", "") or "amber")
    except ValueError as exc:
        raise BadRequest(f"tlp: {exc}") from None
    until = form.get("valid_until", "").strip()
    try:
        valid_until = date.fromisoformat(until) if until else None
    except ValueError:
        raise BadRequest(f"valid_until: {until[:40]!r} is not a date (YYYY-MM-DD)") from None
    name, description = form.get("name", "").strip(), form.get("description", "").strip()
    if len(name) > 250 or len(description) > MAX_TEXT:
        raise BadRequest(f"name/description: at most 250 and {MAX_TEXT} characters")
    return IndicatorRequest(value=value, kind=form.get("type", "auto").strip() or "auto",
                            tlp=tlp, name=name, description=description,
                            valid_until=valid_until)


def build_indicator(request: IndicatorRequest, identity_id: str,
                    now: datetime | None = None) -> dict[str, Any]:
    """A STIX 2.1 indicator for the request, created by ``identity_id``, TLP-marked."""
    kind = classify(request.value, request.kind)
    now = now or datetime.now(UTC)
    stamp = format_timestamp(now)
    indicator: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": stamp, "modified": stamp, "created_by_ref": identity_id,
        "name": request.name or f"{kind.label} {request.value}"[:250],
        "indicator_types": ["malicious-activity"],
        "pattern": pattern_for(kind, request.value), "pattern_type": "stix",
        "pattern_version": "2.1", "valid_from": stamp,
        "object_marking_refs": [marking_ref(request.tlp)],
    }
    if request.description:
        indicator["description"] = request.description
    if request.valid_until is not None:
        until = datetime.combine(request.valid_until, time(23, 59, 59), tzinfo=UTC)
        if until <= now:
            raise BadRequest("valid_until: must be today or later")
        indicator["valid_until"] = format_timestamp(until)
    return indicator
