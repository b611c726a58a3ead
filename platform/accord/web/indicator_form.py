"""The share page's short form: one value becomes a STIX 2.1 indicator (STIX 2.1 s4.7, s9).

Classification, normalisation and pattern quoting are :mod:`accord.sharing.values`' (shared
with ``accord share`` and list feeds); this module checks the analyst's chosen type against
it, and adds the form's name, description and validity. The indicator is attributed to the
team's identity (``created_by_ref``) and carries the OASIS TLP 2.0 marking.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from accord.db import utcnow
from accord.errors import BadRequest
from accord.sharing import values
from accord.tlp import Tlp
from accord.web import forms

MAX_VALUE = 2048
MAX_TEXT = 2000


@dataclass(frozen=True)
class ValueKind:
    """A type the form offers, and how its pattern starts."""

    key: str
    label: str
    prefix: str


KINDS: dict[str, ValueKind] = {kind.key: kind for kind in (
    ValueKind("ipv4", "IPv4 address", "[ipv4-addr:"),
    ValueKind("ipv6", "IPv6 address", "[ipv6-addr:"),
    ValueKind("domain", "Domain name", "[domain-name:"),
    ValueKind("url", "URL", "[url:"),
    ValueKind("md5", "MD5 hash", "[file:hashes.'MD5'"),
    ValueKind("sha1", "SHA-1 hash", "[file:hashes.'SHA-1'"),
    ValueKind("sha256", "SHA-256 hash", "[file:hashes.'SHA-256'"),
)}


def classify(raw: str, chosen: str = "auto") -> tuple[str, str]:
    """The normalised value and its pattern; 400 if it is no value or not the chosen type."""
    kind = KINDS.get(chosen) if chosen and chosen != "auto" else None
    if chosen and chosen != "auto" and kind is None:
        raise BadRequest(f"type: {chosen[:40]!r} is not one of auto, {', '.join(KINDS)}")
    try:
        value, pattern = values.pattern_for(raw)
    except ValueError as exc:
        raise BadRequest(f"value: {exc}") from None
    if kind is not None and not pattern.startswith(kind.prefix):
        raise BadRequest(f"value: {raw[:80]!r} is not a valid {kind.label}")
    return value, pattern


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
    tlp = forms.tlp_field(form, "tlp", default="amber") or Tlp.AMBER
    valid_until = forms.date_field(form, "valid_until")
    name, description = form.get("name", "").strip(), form.get("description", "").strip()
    if len(name) > 250 or len(description) > MAX_TEXT:
        raise BadRequest(f"name/description: at most 250 and {MAX_TEXT} characters")
    return IndicatorRequest(value=value, kind=form.get("type", "auto").strip() or "auto",
                            tlp=tlp, name=name, description=description,
                            valid_until=valid_until)


def build_indicator(request: IndicatorRequest, identity_id: str,
                    now: datetime | None = None) -> dict[str, Any]:
    """A STIX 2.1 indicator for the request, created by ``identity_id``, TLP-marked."""
    value, pattern = classify(request.value, request.kind)
    now = now or utcnow()
    until = None
    if request.valid_until is not None:
        until = datetime.combine(request.valid_until, time(23, 59, 59), tzinfo=UTC)
        if until <= now:
            raise BadRequest("valid_until: must be today or later")
    indicator = values.indicator(stix_id=f"indicator--{uuid.uuid4()}", value=value,
                                 pattern=pattern, created=now, modified=now, valid_from=now,
                                 tlp=request.tlp, labels=[], author_identity=identity_id,
                                 valid_until=until)
    indicator["name"] = (request.name or value)[:250]
    if request.description:
        indicator["description"] = request.description
    return indicator
