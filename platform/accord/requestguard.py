"""Checks every request gets before any view: URL length and NUL characters (ARCHITECTURE rule 2).

* A URL longer than ``MAX_URL_LENGTH`` is answered 414 in the path's dialect (a TAXII error
  resource under ``/taxii2/``). The limit is sized for the TAXII filters the README documents
  (500 identifiers in ``match[id]``); ``accord serve`` lets gunicorn pass longer request lines
  through so that this answer, not gunicorn's HTML one, is what a client sees.
* A NUL character in the path, the query string or a form field is answered 400 naming the
  field: no identifier, name or filter holds one, and PostgreSQL text cannot store or compare
  one (it fails the whole statement), so it is refused before any query is built.
"""

from __future__ import annotations

from flask import Flask, request

from accord.errors import AccordError, BadRequest


class UriTooLong(AccordError):
    status = 414
    title = "URI too long"


def _raw_uri() -> str:
    """The request target as sent (gunicorn and Werkzeug keep it), else the decoded one."""
    environ = request.environ
    return str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path)


def _nul_field() -> str | None:
    """The name of the first path part, query parameter or form field holding a NUL."""
    for name, value in (request.view_args or {}).items():
        if "\x00" in str(value):
            return f"path ({name})"
    if "\x00" in request.path:
        return "path"
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return key.replace("\x00", "\\x00")[:60]
    for key, upload in request.files.items(multi=True):
        if "\x00" in key or "\x00" in (upload.filename or ""):
            return key.replace("\x00", "\\x00")[:60]
    return None


def init_app(app: Flask) -> None:
    """Run the checks before every request, ahead of every blueprint's own hooks."""

    @app.before_request
    def _guard() -> None:
        limit = int(app.config["MAX_URL_LENGTH"])
        length = len(_raw_uri())
        if length > limit:
            raise UriTooLong(f"The request URI is {length} characters; this hub accepts at most "
                             f"{limit} (about 500 STIX ids in one match[id] filter).")
        field = _nul_field()
        if field is not None:
            raise BadRequest(f"{field}: contains a NUL character")
