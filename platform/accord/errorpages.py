"""App-wide error rendering: JSON for API-style paths, TAXII resources under /taxii2/, HTML else.

Blueprint handlers do not see routing 404/405s, so the app-level handlers here make sure no path
ever answers with Werkzeug's default HTML or a stack trace (ARCHITECTURE rule 2).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

from accord.dberrors import is_unavailable
from accord.errors import AccordError

log = logging.getLogger("accord.errors")

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
RETRY_AFTER_SECONDS = 5  # what a client is told to wait when the database is busy or away

_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ status }} {{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>{{ status }} {{ title }}</h1><p>{{ description }}</p>
<p><a href="/">Back to Accord</a></p></body></html>"""


def _wants_html() -> bool:
    path = request.path
    if path.startswith(("/taxii2", "/api", "/healthz", "/readyz")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def render_error(status: int, title: str, description: str,
                 headers: dict[str, str] | None = None) -> Response:
    """One error response in the dialect the path speaks."""
    if request.path.startswith("/taxii2"):
        response = jsonify(title=title, description=description, http_status=str(status))
        response.content_type = TAXII_MEDIA_TYPE
    elif _wants_html():
        response = Response(
            render_template_string(_HTML, status=status, title=title, description=description),
            mimetype="text/html",
        )
    else:
        response = jsonify(error=title, message=description, status=status)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    """Install the app-level handlers."""

    @app.errorhandler(AccordError)
    def _accord_error(exc: AccordError) -> Response:
        return render_error(exc.status, exc.title, exc.description, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        headers = dict(exc.get_response().headers)
        headers.pop("Content-Type", None)
        headers.pop("Content-Length", None)
        return render_error(exc.code or 500, exc.name, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if is_unavailable(exc):  # busy or away for a moment: the client may simply retry
            cause = str(getattr(exc, "orig", None) or exc).splitlines() or ["?"]
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        cause[0][:200])
            return render_error(503, "Service Unavailable",
                                "The hub's database is busy or unreachable for a moment. "
                                "Retry in a few seconds.",
                                {"Retry-After": str(RETRY_AFTER_SECONDS)})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, "Internal error",
                            "The hub hit an unexpected error; it has been logged.")
