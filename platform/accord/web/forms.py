"""Small helpers for reading form fields and showing service errors in place."""

from __future__ import annotations

from flask import flash, request

from accord.errors import AccordError, BadRequest


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


def flash_error(exc: AccordError) -> None:
    """Show a service's error message at the top of the page it came from."""
    flash(exc.description, "error")
