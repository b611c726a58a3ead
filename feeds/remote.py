"""Talking to remote TAXII 2.1 servers through taxii2-client, with timeouts and clear errors.

taxii2-client hides response headers and byte counts; the :class:`~feeds.transport.GuardedSession`
under it keeps the last response so pulls can read ``X-TAXII-Date-Added-Last`` (TAXII 2.1 §3.2),
counts bytes, and bounds every request by a total deadline and a size cap.
"""

from __future__ import annotations

import json

import requests
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import InvalidJSONError, TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Server

from feeds.secrets import Credentials
from feeds.transport import Cancelled, DeadlineExceeded, GuardedSession, Limits, ResponseTooLarge

USER_AGENT = "accord-feeds/1.0 (taxii2-client)"


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>`` (taxii2-client's TokenAuth sends ``Token``)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def connection(credentials: Credentials, limits: Limits
               ) -> tuple[_HTTPConnection, GuardedSession]:
    """A taxii2-client connection using ``credentials``, every request bounded by ``limits``."""
    conn = _HTTPConnection(version="2.1", user_agent=USER_AGENT)
    session = limits.session()
    if credentials.kind == "basic":
        session.auth = requests.auth.HTTPBasicAuth(credentials.username or "",
                                                   credentials.password or "")
    elif credentials.kind == "bearer":
        session.auth = BearerAuth(credentials.token or "")
    conn.session = session
    return conn, session


def open_collection(url: str, collection_id: str, conn: _HTTPConnection) -> Collection:
    """The remote collection, from a discovery URL (its default API root) or an API root URL."""
    base = url if url.endswith("/") else url + "/"
    document = conn.get(base)
    if "api_roots" in document or "default" in document:
        server = Server(base, conn=conn)
        root = server.default or (server.api_roots[0] if server.api_roots else None)
        if root is None:
            raise TAXIIServiceException(f"discovery at {base} lists no API root")
        base = root.url
    else:
        ApiRoot(base, conn=conn)  # an API root: its information answered above
    return Collection(f"{base}collections/{collection_id}/", conn=conn)


def max_content_length(collection: Collection) -> int | None:
    """The API root's ``max_content_length`` (TAXII 2.1 §4.2), if the remote gave a usable one."""
    base = collection.url.split("collections/", 1)[0]
    try:
        info = collection._conn.get(base)
    except (requests.RequestException, TAXIIServiceException, ValueError):
        return None
    value = info.get("max_content_length") if isinstance(info, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def describe(exc: BaseException, timeout: float) -> str:
    """A one-line error for a FeedRun, naming what went wrong with the remote."""
    if isinstance(exc, (DeadlineExceeded, ResponseTooLarge, Cancelled)) or getattr(
            exc, "plain_message", False):
        return str(exc)
    if isinstance(exc, requests.Timeout):
        return f"remote timed out (no answer within {timeout:g} s)"
    if isinstance(exc, requests.ConnectionError):
        return f"remote unreachable: {_first_line(exc)}"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status in (401, 403):
            return f"credentials rejected by remote (HTTP {status})"
        if status == 404:
            return "remote collection not found or not visible to these credentials (HTTP 404)"
        return f"remote answered HTTP {status} {exc.response.reason or ''}".rstrip()
    if isinstance(exc, (InvalidJSONError, json.JSONDecodeError,
                        requests.exceptions.JSONDecodeError)):
        return "remote sent invalid JSON"
    if isinstance(exc, TAXIIServiceException):
        return f"remote is not a valid TAXII 2.1 server: {_first_line(exc)}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
