"""Small helpers for reading form fields and showing service errors in place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import flash, request

from accord.errors import AccordError, BadRequest
from accord.tlp import Tlp


def text(name: str, default: str = "") -> str:
    """A trimmed text field."""
    return request.form.get(name, default).strip()


def checked(name: str) -> bool:
    """Whether a checkbox was ticked."""
    return request.form.get(name) in ("on", "1", "true", "yes")


def optional_float(name: str) -> float | None:
    """A number field that may be left empty; a bad value is a 400 naming the field."""
    raw = text(name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise BadRequest(f"{name}: {raw!r} is not a number") from None


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


def flash_error(exc: AccordError) -> None:
    """Show a service's error message at the top of the page it came from."""
    flash(exc.description, "error")
