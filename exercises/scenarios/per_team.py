"""Per-team inject content: a team's own title and text, attachments (files carried in the
scenario), and a STIX bundle published only into that team's briefing collection.

```yaml
attachments: [{name: advisory.txt, content: "..."}]          # every team of the audience
per_team:
  north:
    body: Your SOC sees the beacon first.
    attachments: [{name: pcap.b64, media_type: application/vnd.tcpdump.pcap,
                   content_base64: "1MOyoQIABAA..."}]
    stix: [{type: indicator, id: "indicator--...", ...}]     # into north's briefing only
```
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from exercises.scenarios.checking import Checker, join

MAX_ATTACHMENT = 1024 * 1024  # decoded bytes per file; scenarios are stored whole in the database
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,199}$")
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
ATTACHMENT_KEYS = {"name", "media_type", "content", "content_base64"}
TEAM_KEYS = {"title", "body", "attachments", "stix"}
StixCheck = Callable[[Checker, Any, str, set[str]], "dict[str, Any] | None"]


def _attachment(check: Checker, raw: Any, path: str) -> dict[str, str] | None:
    entry = check.mapping(raw, path)
    if entry is None:
        return None
    check.known_keys(entry, ATTACHMENT_KEYS, path)
    name = check.text(entry, "name", path, required=True)
    if name and not SAFE_NAME.match(name):
        check.add(join(path, "name"), "use letters, digits, spaces and . _ ( ) + - "
                                      "(no folders), at most 200 characters")
    has_text, has_b64 = "content" in entry, "content_base64" in entry
    if has_text == has_b64:
        check.add(path, "give exactly one of 'content' (text) or 'content_base64'")
        return None
    result = {"name": name}
    if has_text:
        content = entry["content"]
        if not isinstance(content, str):
            check.add(join(path, "content"), "must be text")
            return None
        size = len(content.encode("utf-8"))
        result["content"] = content
        default_type = "text/plain"
    else:
        encoded = entry["content_base64"]
        try:
            size = len(base64.b64decode(str(encoded), validate=True))
        except (binascii.Error, ValueError):
            check.add(join(path, "content_base64"), "is not valid base64")
            return None
        result["content_base64"] = str(encoded)
        default_type = "application/octet-stream"
    if size > MAX_ATTACHMENT:
        check.add(path, f"is larger than {MAX_ATTACHMENT} bytes")
    media_type = check.text(entry, "media_type", path, default=default_type).lower()
    if not MEDIA_TYPE.match(media_type):
        check.add(join(path, "media_type"), "must be a media type such as text/plain")
    result["media_type"] = media_type
    return result


def check_attachments(check: Checker, raw: Any, path: str) -> list[dict[str, str]]:
    """A list of attachments; names are unique within it."""
    found = [a for index, item in enumerate(check.items(raw, path, required=False))
             if (a := _attachment(check, item, join(path, index)))]
    names = [a["name"] for a in found]
    for name in sorted({n for n in names if names.count(n) > 1}):
        check.add(path, f"duplicate attachment name {name!r}")
    return found


def check_per_team(check: Checker, raw: Any, path: str, audience: set[str],
                   stix_check: StixCheck, stix_ids: set[str]) -> dict[str, dict[str, Any]]:
    """``per_team``: placeholder -> its title, body, attachments and STIX objects."""
    if raw is None:
        return {}
    entry = check.mapping(raw, path)
    if entry is None:
        return {}
    result: dict[str, dict[str, Any]] = {}
    for placeholder, value in entry.items():
        where = join(path, str(placeholder))
        if placeholder not in audience:
            check.add(where, f"team {placeholder!r} is not in the inject's audience")
            continue
        team = check.mapping(value, where)
        if team is None:
            continue
        check.known_keys(team, TEAM_KEYS, where)
        content: dict[str, Any] = {}
        for key in ("title", "body"):
            text = check.text(team, key, where, max_length=300 if key == "title" else 20000)
            if text:
                content[key] = text
        attachments = check_attachments(check, team.get("attachments"),
                                        join(where, "attachments"))
        if attachments:
            content["attachments"] = attachments
        objects = [obj for index, item in enumerate(
            check.items(team.get("stix"), join(where, "stix"), required=False))
            if (obj := stix_check(check, item, join(join(where, "stix"), index), stix_ids))]
        if objects:
            content["stix"] = objects
        result[str(placeholder)] = content
    return result


def for_team(spec: dict[str, Any], placeholder: str) -> dict[str, Any]:
    """What one team sees of an inject: its own title and text when given, the inject's
    attachments followed by its own, and its own STIX objects."""
    own = (spec.get("per_team") or {}).get(placeholder, {})
    return {"title": own.get("title") or spec["title"], "body": own.get("body") or spec["body"],
            "attachments": [*spec.get("attachments", []), *own.get("attachments", [])],
            "stix": own.get("stix", [])}


def team_stix_ids(spec: dict[str, Any]) -> set[str]:
    """Ids of the STIX objects an inject publishes per team."""
    return {obj["id"] for own in (spec.get("per_team") or {}).values()
            for obj in own.get("stix", [])}


def attachment_bytes(attachment: dict[str, str]) -> bytes:
    """The file's content as bytes."""
    if "content_base64" in attachment:
        return base64.b64decode(attachment["content_base64"])
    return attachment["content"].encode("utf-8")
