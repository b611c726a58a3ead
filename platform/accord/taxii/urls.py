"""Absolute URLs for everything the TAXII server names (sections 4.1, 4.3).

The spec allows relative API root URLs, but clients in the field build every other URL from
discovery's ``default`` by string concatenation, so Accord always answers with absolute ones:
from ``ACCORD_PUBLIC_URL`` when the operator set it, otherwise from the request's own scheme
and host (which Werkzeug's ProxyFix corrects when trusted proxies are configured).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for


def base_url() -> str:
    """The hub's external root, without a trailing slash, as clients must address it."""
    public: str | None = current_app.config.get("PUBLIC_URL")
    if public:
        return public
    return request.url_root.rstrip("/")


def absolute_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint)`` as an absolute URL under :func:`base_url`."""
    path = url_for(endpoint, **values)
    return base_url() + path.removeprefix(request.script_root)
