"""One webhook POST, as every feature sends it: JSON, an idempotency key, one total deadline,
and an outcome that never holds the URL's secret parts.

Receivers' URLs often carry their credential (a token in the path or the query, or a password
in the authority), and ``requests`` puts the URL into its error messages. The outcome (stored
on the outbox row and logged) therefore names only the receiver's origin
(:func:`origin`) and scrubs the path, query and user info from any error text (:func:`scrub`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

HIDDEN = "[hidden]"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what logs and rows may say about a receiver."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return HIDDEN
    return f"{parts.scheme}://{parts.hostname or ''}{port}" if parts.scheme else HIDDEN


def scrub(text: str, url: str) -> str:
    """``text`` with the secret-bearing parts of ``url`` (path, query, user info) hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return text.replace(url, HIDDEN) if url else text
    secrets = [url, parts.query, parts.netloc if "@" in parts.netloc else "", parts.password,
               parts.path if parts.path not in ("", "/") else ""]
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def post_json(url: str, body: dict[str, Any], key: str, deadline: float
              ) -> tuple[bool, dict[str, Any]]:
    """POST ``body`` to ``url`` with ``Idempotency-Key``/``X-Accord-Delivery: key`` (the same on
    every retry, so a receiver drops a duplicate) and ``deadline`` seconds for connect and read
    together; returns (2xx, outcome) where outcome is ``http_status`` or a scrubbed ``error``."""
    import requests  # imported by the first delivery, not by every command (issue 15)
    from urllib3.util import Timeout

    headers = {"Idempotency-Key": key, "X-Accord-Delivery": key}
    # requests hands a urllib3 Timeout through as is; ``total`` bounds connect and read together.
    limit = Timeout(connect=deadline, read=deadline, total=deadline)
    try:
        response = requests.post(url, json=body, headers=headers,
                                 timeout=limit)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        message = scrub(f"{type(exc).__name__}: {exc}", url)
        return False, {"error": message[:300]}
    return response.ok, {"http_status": response.status_code}
