"""Fast checks of single STIX 2.1 property values, each accepting only what ``stix2`` accepts.

Every check returns the value as ``stix2`` would see it (a datetime for a timestamp, the
cleaned dictionary for hashes) or ``DECLINE``. ``DECLINE`` does not mean *invalid*: it means
"not the plain JSON shape this module is sure about", and the caller then asks ``stix2``. So a
check may decline valid values (``stix2`` takes ``"5"`` for an integer and ``123`` for a
string); it must never pass a value ``stix2`` refuses. The differential test
(tests/accord/test_stixcheck_parity.py) holds each check to that.

Where a ``stix2`` property's verdict is cheap and depends on a small key (the type prefix of a
reference, the contents of a hashes dictionary), ``stix2``'s own ``Property.clean`` decides,
so those verdicts are ``stix2``'s by construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from stix2 import properties as sp

DECLINE: Final = object()  # "ask stix2"; never a valid property value
Check = Callable[[Any], Any]

# stix2.utils.parse_into_datetime: strptime with "%Y-%m-%dT%H:%M:%S[.%f]Z" (1-6 fraction
# digits). Only the zero-padded form is taken here; strptime's looser forms are declined.
_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?Z", re.ASCII)
# A UUID as stix2's _check_uuid accepts it (uuid.UUID, RFC 4122 variant), canonical form only.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-"
                   r"[0-9a-fA-F]{12}")
_SAMPLE_UUID = "4f6f4bd1-8a54-4b6e-9f3c-0d1f3b5b2a10"


def parse_timestamp(value: Any) -> Any:
    """A ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` string as an aware UTC datetime, else DECLINE."""
    if type(value) is not str:
        return DECLINE
    return _parse_text(value)


@lru_cache(maxsize=8192)
def _parse_text(value: str) -> Any:
    """Memoised (datetimes are immutable): timestamps repeat within objects and batches."""
    if _TIMESTAMP.fullmatch(value) is None:
        return DECLINE
    try:
        return datetime.fromisoformat(value)  # UTC, from the "Z"
    except ValueError:  # February 30th, year 0 and the like
        return DECLINE


def timestamp_check(prop: sp.TimestampProperty) -> Check:
    """stix2 truncates to the property's precision when its constraint is ``exact``."""
    precision = str(getattr(prop.precision, "name", prop.precision)).lower()
    constraint = str(getattr(prop.precision_constraint, "name", prop.precision_constraint))
    if constraint.lower() != "exact" or precision == "any":
        return parse_timestamp

    def truncated(value: Any) -> Any:
        moment = parse_timestamp(value)
        if moment is DECLINE:
            return DECLINE
        keep = 0 if precision == "second" else moment.microsecond // 1000 * 1000
        return moment.replace(microsecond=keep)
    return truncated


def is_uuid(text: str) -> bool:
    """True for a canonical RFC 4122 UUID, which stix2's ``_check_uuid`` accepts (2.1)."""
    return _UUID.fullmatch(text) is not None


def id_check(prop: sp.IDProperty) -> Check:
    prefix: str = prop.required_prefix

    def check(value: Any) -> Any:
        if type(value) is str and value.startswith(prefix) and is_uuid(value[len(prefix):]):
            return value
        return DECLINE
    return check


def reference_check(prop: sp.ReferenceProperty) -> Check:
    """``<type>--<UUID>``: the UUID checked here, the type's verdict asked of stix2 once."""

    @lru_cache(maxsize=512)
    def type_allowed(kind: str) -> bool:
        try:
            prop.clean(f"{kind}--{_SAMPLE_UUID}", True)
        except Exception:  # stix2 raises ValueError or CustomContentError
            return False
        return True

    def check(value: Any) -> Any:
        if type(value) is not str:
            return DECLINE
        kind, sep, rest = value.partition("--")
        if sep and is_uuid(rest) and type_allowed(kind):
            return value
        return DECLINE
    return check


def string_check(value: Any) -> Any:
    return value if type(value) is str else DECLINE


def boolean_check(value: Any) -> Any:
    return value if type(value) is bool else DECLINE


def fixed_check(fixed: str) -> Check:
    def check(value: Any) -> Any:
        return value if type(value) is str and value == fixed else DECLINE
    return check


def enum_check(prop: sp.EnumProperty) -> Check:
    allowed = frozenset(prop.allowed)

    def check(value: Any) -> Any:
        return value if type(value) is str and value in allowed else DECLINE
    return check


def number_check(prop: sp.IntegerProperty | sp.FloatProperty, kinds: tuple[type, ...]) -> Check:
    low, high = prop.min, prop.max

    def check(value: Any) -> Any:
        if type(value) not in kinds or not math.isfinite(value):
            return DECLINE
        if (low is not None and value < low) or (high is not None and value > high):
            return DECLINE
        return value
    return check


def delegated_check(prop: sp.Property, kind: type) -> Check:
    """Values of the JSON type ``kind`` judged by the property's own ``clean`` (cheap ones:
    dictionaries, hashes, hex and base64 strings); the cleaned value is returned."""

    def check(value: Any) -> Any:
        if type(value) is not kind:
            return DECLINE
        try:
            return prop.clean(value, True)[0]
        except Exception:  # stix2's verdict is "invalid"; it gives the reason itself later
            return DECLINE
    return check
