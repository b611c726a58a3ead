"""The shape of a STIX identifier (STIX 2.1 section 2.9), without the ``stix2`` library, so the
directory services and CLI helpers that check ids import nothing heavy (issue 15)."""

from __future__ import annotations

import re
import uuid

STIX_TYPE = re.compile(r"^[a-z][a-z0-9-]{1,248}[a-z0-9]$")
"""A STIX type name: lowercase ASCII letters, digits and hyphens, 3 to 250 characters."""
MAX_ID_LENGTH = 300
# The canonical UUID text, which uuid.UUID surely accepts (it also takes other forms).
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                             r"[0-9a-fA-F]{12}")


def is_uuid(text: str) -> bool:
    """What ``uuid.UUID(text)`` accepts; the canonical form without building a UUID."""
    if _CANONICAL_UUID.fullmatch(text):
        return True
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def is_stix_id(value: object) -> bool:
    """True for a string shaped ``<type>--<UUID>`` (STIX 2.1 section 2.9)."""
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH:
        return False
    prefix, sep, rest = value.partition("--")
    return bool(sep) and STIX_TYPE.match(prefix) is not None and is_uuid(rest)
