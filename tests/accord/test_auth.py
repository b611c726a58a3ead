"""The authentication matrix, rate limiting and the audit rows they leave."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.audit import AuditEvent
from accord.services import tokens, users
from tests.factories import PASSWORD, make_token, make_user


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
        assert response.json["username"] == "lan"
        assert response.json["auth"] == method


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


def test_wrong_password_and_unknown_user_look_identical(client: FlaskClient, session: Session) -> None:
    make_user(session, username="lan")
    a = client.get("/api/v1/me", headers=basic("lan", "wrong-password"))
    b = client.get("/api/v1/me", headers=basic("ghost", "wrong-password"))
    assert (a.status_code, a.json) == (b.status_code, b.json)


def test_failed_logins_are_rate_limited_per_user(app: Flask, client: FlaskClient, session: Session) -> None:
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
    inside = client.get("/api/v1/me", headers=bearer(secret), environ_base={"REMOTE_ADDR": "192.0.2.9"})
    outside = client.get("/api/v1/me", headers=bearer(secret), environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert (inside.status_code, outside.status_code) == (200, 401)


def test_logins_and_failures_are_audited_without_secrets(client: FlaskClient, session: Session) -> None:
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
