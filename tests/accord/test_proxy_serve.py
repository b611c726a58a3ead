"""``accord serve`` (gunicorn) behind a forwarding reverse proxy with ``ACCORD_TRUSTED_PROXIES``
(issue 12): login limits, token allow-networks and audit addresses are the real clients'.

The proxy is written here: a threaded HTTP server on 127.0.0.1 that forwards each request to
gunicorn from the loopback address 127.0.0.2 (the one trusted proxy), appending the client
address to ``X-Forwarded-For`` and setting ``X-Forwarded-Proto``/``-Host`` as nginx does. A test
simulates different clients by telling the proxy, in the test-only ``X-Test-Client`` header,
which address the client connected from. Requests sent straight to gunicorn come from
127.0.0.1, which is not trusted, so a spoofed ``X-Forwarded-For`` there is ignored.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.users import ApiToken
from tests.accord.test_auth import basic, bearer
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_token, make_user
from tests.scheduler.test_scheduler import wait_for

ACCORD = Path(sys.executable).with_name("accord")
PROXY_SOURCE = "127.0.0.2"
ATTACKER, PARTNER = "192.0.2.66", "198.51.100.7"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "host", "content-length"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ForwardingHandler(BaseHTTPRequestHandler):
    """Forward one request to the upstream like a reverse proxy, adding X-Forwarded-*."""

    upstream_port: int

    def _forward(self) -> None:
        client = self.headers.get("X-Test-Client") or self.client_address[0]
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in HOP_BY_HOP and name.lower() != "x-test-client"}
        prior = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {client}" if prior else client
        headers["X-Forwarded-Proto"] = "https"
        headers["X-Forwarded-Host"] = "hub.example.org"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60,
                                              source_address=(PROXY_SOURCE, 0))
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
            self.send_response(reply.status)
            for name, value in reply.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: gunicorn's access log is enough."""


@dataclass
class Deployment:
    proxy_url: str
    direct_url: str

    def via_proxy(self, client: str, path: str, headers: dict[str, str]) -> requests.Response:
        return requests.get(f"{self.proxy_url}{path}",
                            headers={**headers, "X-Test-Client": client}, timeout=60)

    def direct(self, path: str, headers: dict[str, str]) -> requests.Response:
        return requests.get(f"{self.direct_url}{path}", headers=headers, timeout=60)


@pytest.fixture
def deployment(app: Flask, tmp_path: Path) -> Iterator[Deployment]:
    """gunicorn (2 workers) trusting the proxy at 127.0.0.2, and the proxy in front of it."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")},
           "ACCORD_DATABASE_URL": app.config["DATABASE_URL"], "ACCORD_SECRET_KEY": TEST_SECRET,
           "ACCORD_INSTANCE_PATH": str(tmp_path), "ACCORD_ENV": "development",
           "ACCORD_TRUSTED_PROXIES": PROXY_SOURCE, "ACCORD_LOGIN_FAILURES_PER_USER": "3"}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(ACCORD), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "2", "--threads", "4"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    handler = type("Handler", (ForwardingHandler,), {"upstream_port": port})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    proxy_thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    proxy_thread.start()
    found = Deployment(f"http://127.0.0.1:{proxy.server_port}", f"http://127.0.0.1:{port}")
    try:
        def ready() -> bool:
            try:
                return found.via_proxy(PARTNER, "/readyz", {}).status_code == 200
            except requests.RequestException:
                return False

        assert wait_for(ready, 60), (tmp_path / "serve.log").read_text()
        yield found
    finally:
        proxy.shutdown()
        proxy.server_close()
        proxy_thread.join(timeout=10)
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        log.close()


def addresses(session: Session, action: str) -> list[str | None]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent.source_address)
                                .where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_limits_networks_and_audit_see_the_real_clients(deployment: Deployment,
                                                         session: Session) -> None:
    user = make_user(session, username="lan")
    _, token = make_token(session, user, allowed_networks=["198.51.100.0/24"])

    # Login limits are per client: the attacker locks out only himself, even when he sends
    # his own X-Forwarded-For naming the partner's address.
    guesses = [deployment.via_proxy(ATTACKER, "/api/v1/me", basic("lan", f"guess-{i}"))
               for i in range(4)]
    assert [r.status_code for r in guesses] == [401, 401, 401, 429]
    assert int(guesses[-1].headers["Retry-After"]) >= 1
    spoofed = deployment.via_proxy(ATTACKER, "/api/v1/me",
                                   {**basic("lan", PASSWORD), "X-Forwarded-For": PARTNER})
    assert spoofed.status_code == 429
    partner = deployment.via_proxy(PARTNER, "/api/v1/me", basic("lan", PASSWORD))
    assert partner.status_code == 200 and partner.json()["username"] == "lan"

    # A token allowed from the partner's network works from there, not from the attacker.
    assert deployment.via_proxy(PARTNER, "/api/v1/me", bearer(token)).status_code == 200
    assert deployment.via_proxy(ATTACKER, "/api/v1/me", bearer(token)).status_code == 401
    # Straight to gunicorn (not through the trusted proxy) a forged header is ignored.
    forged = deployment.direct("/api/v1/me", {**bearer(token), "X-Forwarded-For": PARTNER})
    assert forged.status_code == 401

    taxii = {**basic("lan", PASSWORD), "Accept": "application/taxii+json;version=2.1"}
    assert deployment.via_proxy(PARTNER, "/taxii2/api/collections/", taxii).status_code == 200

    # The audit log and the token's "last used from" name the real clients.
    assert addresses(session, "auth.failed") == [ATTACKER] * 3 + [ATTACKER, "127.0.0.1"]
    assert addresses(session, "auth.throttled") == [ATTACKER, ATTACKER]
    assert set(addresses(session, "auth.login")) == {PARTNER}  # once per worker (its cache)
    assert addresses(session, "auth.token.used") == [PARTNER]
    assert addresses(session, "taxii.read.collections") == [PARTNER]
    session.expire_all()
    assert session.scalar(select(ApiToken.last_used_from)) == PARTNER
