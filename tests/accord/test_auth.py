"""The authentication matrix, rate limiting and the audit rows they leave."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.audit import AuditEvent
from accord.services import tokens, users
from tests.conftest import LiveServer
from tests.factories import PASSWORD, json_of, make_token, make_user


def basic(username: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_token_and_bearer_are_accepted(client: FlaskClient, session: Session) -> None:
    user = make_user(session, username="lan")
    _, secret = make_token(session, user)
    for headers, method in ((basic("lan", PASSWORD), "password"), (basic("lan", secret), "token"),
                            (bearer(secret), "token")):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.json
        assert json_of(response)["username"] == "lan"
        assert json_of(response)["auth"] == method


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "expired", "revoked",
                                  "deactivated", "no_credentials", "garbage_bearer",
                                  "token_of_other_user", "malformed_basic"])
def test_bad_credentials_get_uniform_401(client: FlaskClient, session: Session, case: str) -> None:
    user = make_user(session, username="lan")
    other = make_user(session, username="kris")
    _, secret = make_token(session, user)
    headers: dict[str, str] = {}
    if case == "wrong_password":
        headers = basic("lan", "not-the-password")
    elif case == "unknown_user":
        headers = basic("nobody", "whatever-password")
    elif case == "expired":
        _, expiring = make_token(session, user, expires_at=utcnow() - timedelta(seconds=1))
        headers = bearer(expiring)
    elif case == "revoked":
        token, revoked = make_token(session, user)
        tokens.revoke_token(session, str(token.id))
        session.commit()
        headers = bearer(revoked)
    elif case == "deactivated":
        users.deactivate_user(session, "lan")
        session.commit()
        headers = bearer(secret)
    elif case == "garbage_bearer":
        headers = bearer("acd_notarealtokenatallnotarealtoken")
    elif case == "token_of_other_user":
        headers = basic(other.username, secret)
    elif case == "malformed_basic":
        headers = {"Authorization": "Basic !!!notbase64"}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    body = response.get_data(as_text=True)
    assert "exist" not in body and secret not in body


def test_wrong_password_and_unknown_user_look_identical(client: FlaskClient,
                                                        session: Session) -> None:
    make_user(session, username="lan")
    a = client.get("/api/v1/me", headers=basic("lan", "wrong-password"))
    b = client.get("/api/v1/me", headers=basic("ghost", "wrong-password"))
    assert (a.status_code, a.json) == (b.status_code, b.json)


def test_failed_logins_are_rate_limited_per_user(app: Flask, client: FlaskClient,
                                                 session: Session) -> None:
    app.config["LOGIN_FAILURES_PER_USER"] = 3
    make_user(session, username="lan")
    codes = [client.get("/api/v1/me", headers=basic("lan", "bad-password")).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # Even the right password is refused while the account is throttled.
    blocked = client.get("/api/v1/me", headers=basic("lan", PASSWORD))
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers


def test_failed_logins_are_rate_limited_per_address(app: Flask, client: FlaskClient,
                                                    session: Session) -> None:
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 3
    make_user(session, username="lan")
    codes = [client.get("/api/v1/me", headers=basic(f"guess{i}", "bad-password")).status_code
             for i in range(4)]
    assert codes == [401, 401, 401, 429]
    other_address = client.get("/api/v1/me", headers=basic("lan", PASSWORD),
                               environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other_address.status_code == 200


def test_token_network_restriction(client: FlaskClient, session: Session) -> None:
    user = make_user(session, username="lan")
    _, secret = make_token(session, user, allowed_networks=["192.0.2.0/24"])
    inside = client.get("/api/v1/me", headers=bearer(secret),
                        environ_base={"REMOTE_ADDR": "192.0.2.9"})
    outside = client.get("/api/v1/me", headers=bearer(secret),
                         environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert (inside.status_code, outside.status_code) == (200, 401)


def test_logins_and_failures_are_audited_without_secrets(client: FlaskClient,
                                                         session: Session) -> None:
    user = make_user(session, username="lan")
    _, secret = make_token(session, user)
    client.get("/api/v1/me", headers=basic("lan", PASSWORD))
    client.get("/api/v1/me", headers=bearer(secret))
    client.get("/api/v1/me", headers=basic("lan", "bad-password"),
               environ_base={"REMOTE_ADDR": "203.0.113.5"})
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert "auth.login" in actions and "auth.token.used" in actions
    failure = next(e for e in events if e.action == "auth.failed")
    assert failure.actor_name == "lan" and failure.source_address == "203.0.113.5"
    assert failure.outcome == "failure"
    dumped = repr([(e.details, e.target_id) for e in events])
    assert secret not in dumped and PASSWORD not in dumped


UNIFORM_401 = {"error": "Authentication required", "message": "The credentials are not valid.",
               "status": 401}
CHALLENGE = 'Basic realm="Accord", charset="UTF-8"'


def http_me(server: LiveServer, headers: dict[str, str]) -> requests.Response:
    """GET /api/v1/me over real HTTP (the live server listens on 127.0.0.1)."""
    return requests.get(f"{server.url}/api/v1/me", headers=headers, timeout=30)


def test_matrix_over_http(live_server: LiveServer, session: Session) -> None:
    """Every way in, and every way of being refused, through a real HTTP server (issue 2)."""
    user = make_user(session, username="lan")
    gone = make_user(session, username="gone")
    _, secret = make_token(session, user)
    _, local_only = make_token(session, user, allowed_networks=["127.0.0.0/8"])
    _, elsewhere = make_token(session, user, allowed_networks=["192.0.2.0/24"])
    _, expired = make_token(session, user, expires_at=utcnow() - timedelta(seconds=1))
    revoked_token, revoked = make_token(session, user)
    tokens.revoke_token(session, str(revoked_token.id))
    _, gone_token = make_token(session, gone)
    users.deactivate_user(session, "gone")
    session.commit()
    accepted = {
        "password": (basic("lan", PASSWORD), "password"),
        "token via Basic": (basic("lan", secret), "token"),
        "Bearer": (bearer(secret), "token"),
        "token from an allowed network": (bearer(local_only), "token"),
    }
    for case, (headers, method) in accepted.items():
        response = http_me(live_server, headers)
        assert response.status_code == 200, (case, response.text)
        assert (response.json()["username"], response.json()["auth"]) == ("lan", method), case
    refused = {
        "wrong password": basic("lan", "not-the-password"),
        "unknown user": basic("nobody", "not-the-password"),
        "deactivated user, password": basic("gone", PASSWORD),
        "deactivated user, token": bearer(gone_token),
        "expired token": bearer(expired),
        "revoked token": bearer(revoked),
        "token from a disallowed network": bearer(elsewhere),
        "unknown token": bearer("acd_" + "x" * 43),
    }
    for case, headers in refused.items():
        response = http_me(live_server, headers)
        assert response.status_code == 401, (case, response.text)
        assert response.headers["WWW-Authenticate"] == CHALLENGE, case
        # The same body for all: nothing tells an unknown user from a wrong password.
        assert response.json() == UNIFORM_401, case
    anonymous = http_me(live_server, {})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == CHALLENGE
    discovery = requests.get(f"{live_server.url}/taxii2/", headers=bearer(expired), timeout=30)
    assert discovery.status_code == 401 and discovery.headers["WWW-Authenticate"] == CHALLENGE
    assert discovery.json()["http_status"] == "401"


@pytest.mark.parametrize("limit_key", ["LOGIN_FAILURES_PER_USER", "LOGIN_FAILURES_PER_ADDRESS"])
def test_rate_limit_over_http(app: Flask, live_server: LiveServer, session: Session,
                              limit_key: str) -> None:
    app.config["LOGIN_FAILURES_PER_USER"] = app.config["LOGIN_FAILURES_PER_ADDRESS"] = 1000
    app.config[limit_key] = 2
    make_user(session, username="lan")
    per_user = limit_key == "LOGIN_FAILURES_PER_USER"
    guesses = [basic("lan" if per_user else f"guess{i}", "bad-password") for i in range(3)]
    codes = [http_me(live_server, headers).status_code for headers in guesses]
    assert codes == [401, 401, 429]
    blocked = http_me(live_server, basic("lan", PASSWORD))
    assert blocked.status_code == 429
    # Seconds until the window that started at the first failure ends.
    assert 1 <= int(blocked.headers["Retry-After"]) <= app.config["LOGIN_FAILURE_WINDOW_SECONDS"]
    assert "Too many failed logins" in blocked.json()["message"]
