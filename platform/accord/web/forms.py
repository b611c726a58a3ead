"""Small helpers for reading form fields and showing service errors in place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from flask import flash, request

from accord.errors import AccordError, BadRequest
from accord.services.fields import number, whole_number
from accord.tlp import Tlp

MAX_PAGE = 1_000_000


def text(name: str, default: str = "") -> str:
    """A trimmed text field."""
    return request.form.get(name, default).strip()


def checked(name: str) -> bool:
    """Whether a checkbox was ticked."""
    return request.form.get(name) in ("on", "1", "true", "yes")


def optional_float(name: str) -> float | None:
    """A finite number field that may be left empty; a bad value is a 400 naming the field."""
    raw = text(name)
    return number(raw, name) if raw else None


def tlp_field(fields: Mapping[str, str], name: str, default: str = "") -> Tlp | None:
    """A TLP level from a form or query string (None if empty); 400 naming the field."""
    raw = fields.get(name, "").strip() or default
    if not raw:
        return None
    try:
        return Tlp.parse(raw)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None


def date_field(fields: Mapping[str, str], name: str) -> date | None:
    """A ``YYYY-MM-DD`` date from a form or query string (None if empty); 400 naming it."""
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name}: {raw[:40]!r} is not a date (YYYY-MM-DD)") from None


def day_range(first: date | None, last: date | None
              ) -> tuple[datetime | None, datetime | None]:
    """``[first 00:00, the day after last 00:00)`` in UTC for "from"/"to" date filters; None
    for an open end (``9999-12-31`` has no day after it in the calendar, so it is open)."""
    start = datetime.combine(first, time(), tzinfo=UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC) \
        if last is not None and last < date.max else None
    return start, end


def page_number(fields: Mapping[str, str], name: str = "page") -> int:
    """A 1-based page number from the query string (1 if absent); 400 naming it."""
    return whole_number(fields.get(name, "").strip() or 1, name, minimum=1, maximum=MAX_PAGE)


def flash_error(exc: AccordError) -> None:
    """Show a service's error message at the top of the page it came from."""
    flash(exc.description, "error")
