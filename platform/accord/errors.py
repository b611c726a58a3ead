"""Exceptions that carry an HTTP status and a message a person can act on.

Each blueprint renders them in its own dialect: TAXII error resources under ``/taxii2/``,
JSON under ``/api/``, HTML pages elsewhere (ARCHITECTURE rule 2).
"""

from __future__ import annotations

from typing import Any


class AccordError(Exception):
    """Base of every expected error; never becomes a 500."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        description: str,
        *,
        title: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        if title:
            self.title = title
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(AccordError):
    status = 400
    title = "Bad request"


class Unauthorized(AccordError):
    status = 401
    title = "Authentication required"

    def __init__(self, description: str = "Valid credentials are required.", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Basic realm="Accord", charset="UTF-8"'})
        super().__init__(description, **kw)


class Forbidden(AccordError):
    status = 403
    title = "Forbidden"


class NotFound(AccordError):
    status = 404
    title = "Not found"


class Conflict(AccordError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(AccordError):
    status = 413
    title = "Request body too large"


class UnsupportedMediaType(AccordError):
    status = 415
    title = "Unsupported media type"


class NotAcceptable(AccordError):
    status = 406
    title = "Not acceptable"


class UnprocessableEntity(AccordError):
    status = 422
    title = "Invalid content"


class TooManyRequests(AccordError):
    status = 429
    title = "Too many failed logins"
