"""``ACCORD_TRUSTED_PROXIES`` (issue 12): validated at start, forwarded headers believed only
from trusted proxies, and ignored when the setting is absent."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.assembly import create_app
from accord.config import ConfigError
from accord.db import database
from accord.models.audit import AuditEvent
from accord.proxies import TrustedProxies, parse
from tests.accord.test_auth import basic, bearer
from tests.conftest import app_config
from tests.factories import PASSWORD, make_token, make_user

PROXY = "10.0.0.5"


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ([], None),
    (1, TrustedProxies(hops=1)),
    ("2", TrustedProxies(hops=2)),
    ("10.0.0.5", TrustedProxies(networks=(ipaddress.ip_network("10.0.0.5/32"),))),
    ("10.1.0.0/16, ::1", TrustedProxies(networks=(ipaddress.ip_network("10.1.0.0/16"),
                                                  ipaddress.ip_network("::1/128")))),
    (["1", "10.0.0.0/8"], TrustedProxies(networks=(ipaddress.ip_network("10.0.0.0/8"),),
                                         hops=1)),
])
def test_the_setting_is_parsed(value: Any, expected: TrustedProxies | None) -> None:
    assert parse(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("proxy.internal", "'proxy.internal' is not a number of hops"),
    ("10.0.0.300", "'10.0.0.300' is not a number of hops"),
    ("0", "give one number of hops"),
    ("1,2", "give one number of hops"),
    (True, "must be a number of hops"),
])
def test_a_bad_setting_stops_the_hub_with_a_clear_message(tmp_path: Path, value: Any,
                                                          message: str) -> None:
    with pytest.raises(ConfigError, match="ACCORD_TRUSTED_PROXIES") as raised:
        create_app(app_config(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path,
                              TRUSTED_PROXIES=value))
    assert message in str(raised.value)


@pytest.mark.parametrize(("setting", "peer", "forwarded", "client"), [
    (PROXY, PROXY, "192.0.2.7", "192.0.2.7"),
    (PROXY, PROXY, "6.6.6.6, 192.0.2.7", "192.0.2.7"),  # the client's own XFF entry is ignored
    (PROXY, "192.0.2.99", "6.6.6.6", "192.0.2.99"),  # not from the proxy: headers ignored
    ("10.0.0.0/8", PROXY, "6.6.6.6, 192.0.2.7, 10.0.0.9", "192.0.2.7"),  # two trusted hops
    ("1", PROXY, "6.6.6.6, 192.0.2.7", "192.0.2.7"),
    ("2", PROXY, "6.6.6.6, 192.0.2.7, 10.0.0.9", "192.0.2.7"),
    (PROXY, PROXY, "not-an-address", PROXY),  # garbage: attribute nothing fake
])
def test_the_client_is_found_behind_trusted_proxies(setting: str, peer: str, forwarded: str,
                                                    client: str) -> None:
    trusted = parse(setting)
    assert trusted is not None
    assert trusted.client(peer, forwarded)[0] == client


@pytest.fixture
def proxied_app(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the test database, behind a trusted proxy at 10.0.0.5 (rows are cleaned
    by ``app``)."""
    behind = create_app(app_config(database_url, tmp_path, TRUSTED_PROXIES=PROXY))

    @behind.get("/_test/where")
    def where() -> dict[str, str]:
        return {"address": str(request.remote_addr), "scheme": request.scheme,
                "host": request.host}

    yield behind
    database(behind).engine.dispose()


FORWARDED = {"X-Forwarded-For": "192.0.2.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "hub.example.org"}


def test_forwarded_headers_are_applied_from_the_trusted_proxy(proxied_app: Flask) -> None:
    seen = proxied_app.test_client().get("/_test/where", headers=FORWARDED,
                                         environ_base={"REMOTE_ADDR": PROXY})
    assert seen.json == {"address": "192.0.2.7", "scheme": "https", "host": "hub.example.org"}
    direct = proxied_app.test_client().get("/_test/where", headers=FORWARDED,
                                           environ_base={"REMOTE_ADDR": "203.0.113.1"})
    assert direct.json == {"address": "203.0.113.1", "scheme": "http", "host": "localhost"}


def test_without_the_setting_a_spoofed_forwarded_for_is_ignored(
        app: Flask, session: Session) -> None:
    """The default: X-Forwarded-For is the client's word, so limits, token networks and audit
    rows keep the connection's address."""
    assert app.config["TRUSTED_PROXIES"] is None
    user = make_user(session, username="lan")
    _, token = make_token(session, user, allowed_networks=["192.0.2.0/24"])
    client = app.test_client()
    spoof = {"X-Forwarded-For": "192.0.2.7"}
    assert client.get("/api/v1/me", headers={**bearer(token), **spoof},
                      environ_base={"REMOTE_ADDR": "203.0.113.1"}).status_code == 401
    assert client.get("/api/v1/me", headers={**basic("lan", PASSWORD), **spoof},
                      environ_base={"REMOTE_ADDR": "203.0.113.1"}).status_code == 200
    session.expire_all()
    addresses = set(session.scalars(select(AuditEvent.source_address).where(
        AuditEvent.action.in_(["auth.failed", "auth.login"]))))
    assert addresses == {"203.0.113.1"}
