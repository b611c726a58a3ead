"""A small, scriptable TAXII 2.1 server on 127.0.0.1 for feed tests.

It behaves like a well-formed remote until told otherwise: answer 500s, garbage JSON, slowly,
reject credentials, omit ``next`` (servers that only honour ``added_after``), or give many
objects the same ``date_added``; and, as a hostile or broken partner: drip its answer one byte
at a time, loop on ``next`` or on ``more``, put nulls among the objects, send a malformed or
far-future ``X-TAXII-Date-Added-Last``, pad a page to any size, advertise a small
``max_content_length`` and answer 413 above it, or refuse ("poison") some objects with a 500.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TAXII = "application/taxii+json;version=2.1"
COLLECTION_ID = "6e4b0a0c-1d7e-4c56-9e1a-0f7bcb2f5c11"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeRemote:
    """State and switches of the fake server."""

    server: Any

    @property
    def handler_class(self) -> Any:
        """The request handler class; fault tests swap its methods for a while."""
        return self.server.RequestHandlerClass

    def __init__(self, user: str = "feed", password: str = "s3cret-password") -> None:
        self.user, self.password = user, password
        self.objects: list[tuple[str, dict[str, Any]]] = []  # (date_added, object)
        self.mode = "ok"  # ok | 500 | garbage | slow | down-ish
        self.delay = 0.0
        self.page_size = 100
        self.honour_next = True
        self.send_header = True
        self.received: list[dict[str, Any]] = []
        self.post_pending = False  # answer adds with a pending status, complete it on GET
        self.statuses: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self.lock = threading.Lock()
        # Hostile behaviour (see the module docstring); each is off by default.
        self.drip_interval = 0.0  # > 0: answer GETs one byte per interval
        self.drip_limit = 60  # bytes dripped at most, so a drip always ends by itself
        self.stopping = threading.Event()
        self.loop_next = False  # always answer the same page with the same 'next'
        self.loop_more = False  # always answer the same page with 'more' and no 'next'
        self.extra_elements: list[Any] = []  # appended to every page's 'objects'
        self.header_last: str | None = None  # replaces X-TAXII-Date-Added-Last
        self.pad_bytes = 0  # a page is padded with this many bytes of description
        self.max_content_length = 10_000_000
        self.poison: set[str] = set()  # ids whose envelope is answered with a 500
        self.posts: list[int] = []  # status code of each POST
        self.on_request: Callable[[], None] | None = None  # called as each request arrives
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeRemote:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def add(self, objects: list[dict[str, Any]], same_timestamp: bool = False) -> None:
        """Add objects; each gets a later date_added unless ``same_timestamp``."""
        with self.lock:
            self.clock += timedelta(milliseconds=1)
            for obj in objects:
                if not same_timestamp:
                    self.clock += timedelta(microseconds=10)
                self.objects.append((stamp(self.clock), obj))

    # -- HTTP ---------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
                      raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", TAXII)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client died (crash tests)
                    return

            def _drip(self) -> None:
                """Headers at once, then one byte per interval until the client gives up."""
                self.send_response(200)
                self.send_header("Content-Type", TAXII)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(remote.drip_limit):
                    if remote.stopping.wait(remote.drip_interval):
                        return
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:  # the client hung up: the test's point
                        return

            def _gate(self) -> bool:
                remote.requests.append(self.path)
                if remote.on_request is not None:
                    remote.on_request()
                if remote.drip_interval and self.command == "GET":
                    self._drip()
                    return False
                if remote.mode == "slow":
                    time.sleep(remote.delay)
                if remote.mode == "500":
                    self._send(500, {"title": "boom", "http_status": "500"})
                    return False
                if remote.mode == "garbage":
                    self._send(200, None, raw=b"{\"objects\": [not json")
                    return False
                token = base64.b64encode(f"{remote.user}:{remote.password}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {token}":
                    self._send(401, {"title": "Unauthorized", "http_status": "401"},
                               {"WWW-Authenticate": "Basic"})
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802
                if not self._gate():
                    return
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                base = f"{remote.url}/api1/"
                col = f"/api1/collections/{COLLECTION_ID}/"
                if url.path == "/taxii2/":
                    self._send(200, {"title": "fake", "default": base, "api_roots": [base]})
                elif url.path == "/api1/":
                    self._send(200, {"title": "api1", "versions": [TAXII],
                                     "max_content_length": remote.max_content_length})
                elif url.path == col:
                    self._send(200, {"id": COLLECTION_ID, "title": "fake", "can_read": True,
                                     "can_write": True, "media_types": [TAXII]})
                elif url.path == col + "objects/":
                    self._objects(query)
                elif url.path == col + "manifest/":
                    ids = set(query.get("match[id]", "").split(","))
                    records = [{"id": o["id"], "date_added": d, "version": o.get("modified")}
                               for d, o in remote.objects if o["id"] in ids]
                    self._send(200, {"objects": records})
                elif url.path.startswith("/api1/status/"):
                    status_id = url.path.rstrip("/").rsplit("/", 1)[1]
                    if status_id not in remote.statuses:
                        self._send(404, {"title": "no such status", "http_status": "404"})
                    else:
                        self._send(200, remote.statuses[status_id])
                else:
                    self._send(404, {"title": "not found", "http_status": "404"})

            def _objects(self, query: dict[str, str]) -> None:
                with remote.lock:
                    rows = list(remote.objects)
                after = query.get("added_after")
                if after:
                    limit_at = after.replace("Z", "")
                    rows = [r for r in rows if r[0].replace("Z", "") > limit_at]
                if "match[type]" in query:
                    types = set(query["match[type]"].split(","))
                    rows = [r for r in rows if r[1]["type"] in types]
                looping = remote.loop_next or remote.loop_more
                start = int(query.get("next", "0")) if remote.honour_next and not looping else 0
                size = min(int(query.get("limit") or remote.page_size), remote.page_size)
                page = rows[start:start + size]
                more = start + size < len(rows) or remote.loop_next or remote.loop_more
                objects: list[Any] = [o for _, o in page] + remote.extra_elements
                if remote.pad_bytes and objects:
                    objects[0] = {**objects[0], "description": "x" * remote.pad_bytes}
                envelope: dict[str, Any] = {"more": more, "objects": objects}
                if more and remote.honour_next and not remote.loop_more:
                    envelope["next"] = "loop" if remote.loop_next else str(start + size)
                headers = {}
                if page and remote.send_header:
                    headers = {"X-TAXII-Date-Added-First": page[0][0],
                               "X-TAXII-Date-Added-Last": remote.header_last or page[-1][0]}
                self._send(200, envelope if objects else {"more": False}, headers)

            def do_POST(self) -> None:  # noqa: N802
                if not self._gate():
                    return
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                if length > remote.max_content_length:
                    remote.posts.append(413)
                    self._send(413, {"title": "too large", "http_status": "413"})
                    return
                body = json.loads(raw)
                objects = body.get("objects", [])
                if any(o.get("id") in remote.poison for o in objects):
                    remote.posts.append(500)
                    self._send(500, {"title": "cannot store", "http_status": "500"})
                    return
                remote.posts.append(202)
                remote.received.extend(objects)
                remote.add(objects)
                status = {"id": str(uuid.uuid4()), "status": "complete",
                          "total_count": len(objects), "success_count": len(objects),
                          "failure_count": 0, "pending_count": 0,
                          "successes": [{"id": o["id"]} for o in objects]}
                remote.statuses[str(status["id"])] = status
                if remote.post_pending:
                    status = {**status, "status": "pending", "success_count": 0,
                              "pending_count": len(objects), "successes": [],
                              "pendings": [{"id": o["id"]} for o in objects]}
                self._send(202, status)

        return Handler


class ListServer:
    """Serves ``body`` at /list.txt on 127.0.0.1 with ``status`` and ``content_type``."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.content_type = "text/plain"
        self.on_request: Callable[[], None] | None = None  # called as each request arrives
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                if server.on_request is not None:
                    server.on_request()
                self.send_response(server.status)
                self.send_header("Content-Type", server.content_type)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/list.txt"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
