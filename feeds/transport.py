"""HTTP to partners with a total deadline, a response size cap and cancellation.

``requests`` timeouts apply to each socket read, so a remote that sends one byte every few
seconds never times out. Every request made through :class:`GuardedSession` (taxii2-client's
and the list downloads) is instead bounded as a whole: a watchdog thread shuts the request's
sockets down when the deadline passes or the scheduler is stopping, and the body is read in
chunks, refused as soon as it grows past the cap (so a 200 MB page never sits in memory).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from accord import jsonfast

CHUNK = 64 * 1024
POLL_SECONDS = 0.05
KILL_TIMEOUT = 0.001


class JsonResponse(requests.Response):
    """A response whose ``json()`` decodes with orjson when that gives what ``requests`` gives
    (a UTF-8 body, see :mod:`accord.jsonfast`); pages of a pull decode several times faster."""

    def json(self, **kwargs: Any) -> Any:
        if not kwargs and (self.encoding or "utf-8").lower() in ("utf-8", "utf8"):
            value = jsonfast.loads(self.content)
            if jsonfast.parsed(value):
                return value
        return super().json(**kwargs)


@dataclass(frozen=True)
class Limits:
    """How long and how much one request to a partner may take."""

    timeout: float = 30.0  # per socket read
    deadline: float = 120.0  # the whole request, headers and body
    max_bytes: int = 20 * 1024 * 1024
    cancelled: Callable[[], bool] = field(default=lambda: False)

    def session(self) -> GuardedSession:
        """A new session bounded by these limits."""
        return GuardedSession(self.timeout, self.deadline, self.max_bytes, self.cancelled)


class DeadlineExceeded(requests.exceptions.Timeout):
    """The remote did not finish answering within the request's total deadline."""


class ResponseTooLarge(requests.exceptions.RequestException):
    """The remote's answer is larger than the cap."""


class Cancelled(requests.exceptions.RequestException):
    """The process is stopping (SIGTERM); the request was abandoned."""


class _Sockets:
    """The sockets one session opened, so the watchdog can shut them down.

    Sockets, not connections: a response that closes its connection keeps reading from the
    socket after the connection let go of it.
    """

    def __init__(self) -> None:
        self.open: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def shut_down(self) -> None:
        for sock in list(self.open):
            if sock.fileno() != -1:
                with contextlib.suppress(OSError):  # closed meanwhile
                    # Every later read times out at once, even while the remote keeps
                    # dripping (Linux keeps accepting data after a shutdown), and the
                    # shutdown wakes a read that is waiting now.
                    sock.settimeout(KILL_TIMEOUT)
                    sock.shutdown(socket.SHUT_RDWR)


def _tracked(base: type[HTTPConnection], sockets: _Sockets) -> type[HTTPConnection]:
    """A connection class that registers itself once connected."""

    def connect(self: HTTPConnection) -> None:
        base.connect(self)
        if self.sock is not None:
            sockets.open.add(self.sock)

    return type(f"Tracked{base.__name__}", (base,), {"connect": connect})


class GuardedAdapter(HTTPAdapter):
    """An adapter whose connections are registered with the session's watchdog."""

    def __init__(self, sockets: _Sockets) -> None:
        self.sockets = sockets
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = _tracked(HTTPConnection, self.sockets)
        https = _tracked(HTTPSConnection, self.sockets)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


class GuardedSession(requests.Session):
    """A session bounding every request by ``deadline`` seconds and ``max_bytes``.

    ``timeout`` stays the per-read timeout; ``cancelled`` (e.g. the scheduler's stop event)
    abandons a request at once. The body is read here, so callers get ``content`` as usual.
    """

    def __init__(self, timeout: float, deadline: float, max_bytes: int,
                 cancelled: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.cancelled = cancelled or (lambda: False)
        self.last_response: requests.Response | None = None
        self.bytes = 0
        self.requests = 0
        self._sockets = _Sockets()
        adapter = GuardedAdapter(self._sockets)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def _watch(self, done: threading.Event, until: float, verdict: list[str]) -> None:
        while not done.wait(POLL_SECONDS):
            if self.cancelled():
                verdict.append("cancelled")
            elif time.monotonic() >= until:
                verdict.append("deadline")
            else:
                continue
            self._sockets.shut_down()
            return

    def _failure(self, verdict: list[str]) -> requests.RequestException:
        if verdict and verdict[0] == "cancelled":
            return Cancelled("the hub is stopping; the request was abandoned")
        return DeadlineExceeded(f"remote did not finish answering within {self.deadline:g} s")

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        if self.cancelled():
            raise self._failure(["cancelled"])
        kwargs["timeout"] = kwargs.get("timeout") or min(self.timeout, self.deadline)
        kwargs["stream"] = True
        done, verdict = threading.Event(), list[str]()
        watchdog = threading.Thread(target=self._watch, name="accord-feed-deadline", daemon=True,
                                    args=(done, time.monotonic() + self.deadline, verdict))
        watchdog.start()
        self.requests += 1
        try:
            response = super().request(method, url, *args, **kwargs)
            body = self._read(response)
        except ResponseTooLarge:
            raise
        except (requests.RequestException, OSError) as exc:
            if verdict:
                raise self._failure(verdict) from exc
            raise
        finally:
            done.set()
            watchdog.join()
        if verdict:  # the watchdog cut the body short without the read noticing
            raise self._failure(verdict)
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        response.__class__ = JsonResponse
        self.last_response = response
        self.bytes += len(body)
        return response

    def _read(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise ResponseTooLarge(self._too_large())
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                response.close()
                raise ResponseTooLarge(self._too_large())
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> str:
        return f"remote answer is larger than the {self.max_bytes} byte cap"
