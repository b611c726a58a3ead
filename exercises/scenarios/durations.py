"""Relative times in scenarios: ISO 8601 durations (``PT1H15M``) and MSEL spreadsheet forms.

Scenario files use ISO 8601 durations only (weeks, days, hours, minutes, seconds; years and
months are refused because their length is ambiguous). Spreadsheet imports also accept the
forms planners type: ``+01:15``, ``01:15:30`` and OpenAEV's ``D+1 H+2 M+30``.
"""

from __future__ import annotations

import re
from datetime import timedelta

ISO_DURATION = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
CLOCK_OFFSET = re.compile(r"^[+]?(?P<h>\d{1,3}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?$")
MSEL_OFFSET = re.compile(r"^(?:(?P<unit>[DJHTM])\+(?P<n>\d{1,9})\s*)+$", re.IGNORECASE)
MSEL_PART = re.compile(r"(?P<unit>[DJHTM])\+(?P<n>\d{1,9})", re.IGNORECASE)
MSEL_SECONDS = {"D": 86400, "J": 86400, "H": 3600, "M": 60, "T": 60}


MAX_DURATION = timedelta(days=3660)  # ten years: no scenario offset or deadline is longer


class DurationError(ValueError):
    """The text is not a duration in an accepted form."""


YEARS_MONTHS = re.compile(r"^P(?:\d+(?:\.\d+)?[YMWD])*?\d+(?:\.\d+)?[YM]")


def parse_iso(text: object) -> timedelta:
    """An ISO 8601 duration such as ``PT1H15M``; raises :class:`DurationError`.

    Negative durations and years or months (``P1M`` is a month, ``PT1M`` a minute) get their
    own messages, since both are easy slips that a generic "not a duration" would hide.
    """
    if not isinstance(text, str):
        raise DurationError("not an ISO 8601 duration (write it as text, e.g. PT1H15M)")
    value = text.strip().upper()
    if value.startswith("-"):
        raise DurationError("must not be negative: offsets count forward from STARTEX and "
                            "deadlines from the inject's release")
    if YEARS_MONTHS.match(value):
        raise DurationError("years and months are not allowed (their length varies); write "
                            "weeks or days (P30D), or minutes as PT1M (P1M is a month)")
    match = ISO_DURATION.match(value)
    if match is None or not any(match.groupdict().values()) or text.strip().upper().endswith("T"):
        raise DurationError("not an ISO 8601 duration (e.g. PT15M, PT1H30M, P1DT2H)")
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    return _bounded(parts["w"] * 604800 + parts["d"] * 86400 + parts["h"] * 3600
                    + parts["m"] * 60 + parts["s"])


def _bounded(seconds: float) -> timedelta:
    """``seconds`` as a timedelta, refused beyond :data:`MAX_DURATION` (so no later date sum
    overflows; ``P99999999999D`` would not even fit a timedelta)."""
    if not seconds <= MAX_DURATION.total_seconds():
        raise DurationError(f"longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def parse_offset(text: str) -> timedelta:
    """An offset as typed in an MSEL spreadsheet: ISO, ``+H:MM[:SS]`` or ``D+1 H+2 M+30``."""
    value = text.strip()
    if value.upper().startswith("P"):
        return parse_iso(value)
    clock = CLOCK_OFFSET.match(value)
    if clock:
        return _bounded(int(clock["h"]) * 3600 + int(clock["m"]) * 60 + int(clock["s"] or 0))
    if MSEL_OFFSET.match(value):
        seconds = sum(MSEL_SECONDS[part["unit"].upper()] * int(part["n"])
                      for part in MSEL_PART.finditer(value))
        return _bounded(seconds)
    raise DurationError(
        "not an offset: use an ISO 8601 duration (PT1H15M), +HH:MM, or D+n H+n M+n"
    )


def to_iso(delta: timedelta) -> str:
    """The shortest ISO 8601 duration for ``delta`` (``PT0S`` for zero)."""
    total = delta.total_seconds()
    days, rest = divmod(int(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = total - int(total)
    out = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or fraction:
        clock += f"{seconds + fraction:g}S"
    if clock:
        out += "T" + clock
    return out if out != "P" else "PT0S"


def clock(delta: timedelta | float) -> str:
    """Exercise clock notation, ``T+01:15`` (hours may exceed 24)."""
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    sign = "-" if seconds < 0 else "+"
    whole = int(round(abs(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"T{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def human(seconds: float | None) -> str:
    """A short human duration such as ``4m 05s``; an em dash for None."""
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    hours, rest = divmod(abs(whole), 3600)
    minutes, secs = divmod(rest, 60)
    sign = "-" if whole < 0 else ""
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"
