"""The shape of a STIX identifier (STIX 2.1 section 2.9), without the ``stix2`` library, so the
directory services and CLI helpers that check ids import nothing heavy (issue 15)."""

from __future__ import annotations

import re
import uuid

STIX_TYPE = re.compile(r"^[a-z][a-z0-9-]{1,248}[a-z0-9]$")
"""A STIX type name: lowercase ASCII letters, digits and hyphens, 3 to 250 characters."""
MAX_ID_LENGTH = 300


def is_stix_id(value: object) -> bool:
    """True for a string shaped ``<type>--<UUID>`` (STIX 2.1 section 2.9)."""
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH:
        return False
    prefix, sep, rest = value.partition("--")
    if not sep or not STIX_TYPE.match(prefix):
        return False
    try:
        uuid.UUID(rest)
    except ValueError:
        return False
    return True
