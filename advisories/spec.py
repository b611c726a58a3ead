"""The one parser of an advisory request, shared by the JSON API and the web form: each
bad field is a 400 naming it (the web shows the same message in place)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from accord.errors import BadRequest
from accord.sharing.share import objects_from_json
from accord.tlp import Tlp
from advisories.issuing import AdvisorySpec
from advisories.models import Evidence, Severity

DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def text(data: dict[str, Any], key: str, limit: int, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{key}: {'required, ' if required else ''}a string")
    if len(value) > limit:
        raise BadRequest(f"{key}: at most {limit} characters")
    return value.strip() if key == "title" else value


def choice(data: dict[str, Any], key: str, kind: Any, default: Any) -> Any:
    raw = data.get(key, default.value if default is not None else None)
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise BadRequest(f"{key}: {raw!r} is not one of {choices}") from None


def duration(data: dict[str, Any], key: str, default: timedelta) -> timedelta:
    """An ISO 8601 duration such as ``PT1H`` or ``P1D``; positive, at most 30 days."""
    raw = data.get(key)
    if raw is None:
        return default
    found = DURATION.match(raw) if isinstance(raw, str) else None
    if found is None or not any(found.groups()):
        raise BadRequest(f"{key}: an ISO 8601 duration such as PT1H or P1D")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(0) < value <= timedelta(days=30):
        raise BadRequest(f"{key}: must be more than zero and at most 30 days")
    return value


def _names(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"recipients.{key}: a list of names")
    return tuple(value)


def objects_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The STIX objects an advisory carries (``objects``: a list of objects). Each object is
    then judged by the hub's one write path when the advisory is published."""
    objects = data.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise BadRequest("objects: a list of STIX objects")
    return objects


def objects_from_text(raw: str, limit: int) -> list[Any]:
    """The objects pasted into a form (a STIX bundle, a TAXII envelope, a list or one object);
    none when empty; a 400 naming ``objects`` and the JSON problem otherwise."""
    if not raw.strip():
        return []
    if len(raw.encode("utf-8")) > limit:
        raise BadRequest(f"objects: larger than this hub accepts ({limit} bytes)")
    try:
        return objects_from_json(raw)
    except BadRequest as exc:
        raise BadRequest(f"objects: {exc.description}") from None


def read_spec(data: dict[str, Any]) -> AdvisorySpec:
    """The advisory asked for, with a 400 naming the first bad field."""
    who = data.get("recipients")
    if not isinstance(who, dict):
        raise BadRequest("recipients: an object with teams, groups and/or all")
    objects = objects_of(data)
    try:
        tlp = Tlp.parse(str(data.get("tlp", "")))
    except ValueError:
        raise BadRequest("tlp: one of clear, green, amber, amber+strict, red") from None
    ack = duration(data, "acknowledge_within", timedelta(hours=1))
    return AdvisorySpec(
        title=text(data, "title", 300, required=True),
        severity=choice(data, "severity", Severity, None), tlp=tlp,
        body=text(data, "body", 100_000), teams=_names(who, "teams"),
        groups=_names(who, "groups"), all_constituents=who.get("all") is True,
        ack_within=ack, status_within=duration(data, "status_within", timedelta(hours=24)),
        evidence=choice(data, "evidence", Evidence, Evidence.NONE), objects=objects)
