"""A small, scriptable TAXII 2.1 server on 127.0.0.1 for feed tests.

It behaves like a well-formed remote until told otherwise: answer 500s, garbage JSON, slowly,
reject credentials, omit ``next`` (servers that only honour ``added_after``), or give many
objects the same ``date_added``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
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
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeRemote:
        self.thread.start()
        return self

    def stop(self) -> None:
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

            def _gate(self) -> bool:
                remote.requests.append(self.path)
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
                                     "max_content_length": 10_000_000})
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
                start = int(query.get("next", "0")) if remote.honour_next else 0
                size = min(int(query.get("limit") or remote.page_size), remote.page_size)
                page = rows[start:start + size]
                more = start + size < len(rows)
                envelope: dict[str, Any] = {"more": more, "objects": [o for _, o in page]}
                if more and remote.honour_next:
                    envelope["next"] = str(start + size)
                headers = {}
                if page and remote.send_header:
                    headers = {"X-TAXII-Date-Added-First": page[0][0],
                               "X-TAXII-Date-Added-Last": page[-1][0]}
                self._send(200, envelope if page else {"more": False}, headers)

            def do_POST(self) -> None:  # noqa: N802
                if not self._gate():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                objects = body.get("objects", [])
                remote.received.extend(objects)
                remote.add(objects)
                status = {"id": str(uuid.uuid4()), "status": "complete",
                          "total_count": len(objects), "success_count": len(objects),
                          "failure_count": 0, "pending_count": 0,
                          "successes": [{"id": o["id"]} for o in objects]}
                remote.statuses[status["id"]] = status
                if remote.post_pending:
                    status = {**status, "status": "pending", "success_count": 0,
                              "pending_count": len(objects), "successes": [],
                              "pendings": [{"id": o["id"]} for o in objects]}
                self._send(202, status)

        return Handler
