"""Login limits (issue 12): an atomic counter, per username and source address, 429 with
Retry-After, and every refusal audited without what was typed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.audit import AuditEvent
from accord.models.throttle import LoginThrottle
from tests.accord.test_auth import basic
from tests.conftest import LiveServer
from tests.factories import PASSWORD, json_of, make_user
from tests.web.helpers import csrf_from

ATTACKER = {"REMOTE_ADDR": "192.0.2.66"}
REAL_USER = {"REMOTE_ADDR": "198.51.100.7"}


def failures(session: Session, reason: str = "wrong username or password") -> list[AuditEvent]:
    session.expire_all()
    return [event for event in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.failed").order_by(AuditEvent.id))
        if event.details.get("reason") == reason]


def test_concurrent_guesses_verify_at_most_the_limit(app: Flask, live_server: LiveServer,
                                                     session: Session) -> None:
    """40 wrong guesses at once against a limit of 10: exactly 10 passwords are checked."""
    app.config.update(LOGIN_FAILURES_PER_USER=10, LOGIN_FAILURES_PER_ADDRESS=1000)
    make_user(session, username="lan")
    start = threading.Barrier(40, timeout=60)

    def guess(number: int) -> int:
        start.wait()
        return requests.get(f"{live_server.url}/api/v1/me",
                            headers=basic("lan", f"wrong-guess-{number}"), timeout=120).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        codes = list(pool.map(guess, range(40)))
    assert sorted(codes) == [401] * 10 + [429] * 30
    assert len(failures(session)) == 10  # one audit row per verified password
    throttled = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "auth.throttled")).all()
    assert len(throttled) == 30 and {e.actor_name for e in throttled} == {"lan"}
    assert set(session.scalars(select(LoginThrottle.attempts))) == {10}


def test_an_attacker_cannot_lock_out_the_user_at_another_address(
        app: Flask, client: FlaskClient, session: Session) -> None:
    make_user(session, username="lan")
    codes = [client.get("/api/v1/me", headers=basic("lan", "bad-password"),
                        environ_base=ATTACKER).status_code for _ in range(12)]
    assert codes == [401] * 10 + [429] * 2
    # The right password from the attacker's address is refused too ...
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD),
                      environ_base=ATTACKER).status_code == 429
    # ... but the real user elsewhere is not locked out, over Basic or the sign-in form.
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD),
                      environ_base=REAL_USER).status_code == 200
    token = csrf_from(client.get("/login", environ_base=REAL_USER))
    form = client.post("/login", data={"username": "lan", "password": PASSWORD,
                                       "csrf_token": token}, environ_base=REAL_USER)
    assert form.status_code == 302 and form.headers["Location"] == "/"


def test_a_ceiling_per_user_from_every_address(app: Flask, client: FlaskClient,
                                               session: Session) -> None:
    app.config.update(LOGIN_FAILURES_PER_USER=10, LOGIN_FAILURES_PER_USER_ANYWHERE=5)
    make_user(session, username="lan")
    codes = [client.get("/api/v1/me", headers=basic("lan", "bad-password"),
                        environ_base={"REMOTE_ADDR": f"203.0.113.{i}"}).status_code
             for i in range(1, 8)]
    assert codes == [401] * 5 + [429] * 2


def test_429_has_retry_after_counted_from_the_window(app: Flask, client: FlaskClient,
                                                     session: Session) -> None:
    app.config.update(LOGIN_FAILURES_PER_USER=2, LOGIN_FAILURE_WINDOW_SECONDS=120)
    make_user(session, username="lan")
    for _ in range(2):
        assert client.get("/api/v1/me", headers=basic("lan", "bad")).status_code == 401
    refused = client.get("/api/v1/me", headers=basic("lan", "bad"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 121
    assert "Too many failed logins" in json_of(refused)["message"]


def test_window_end_frees_the_counter(app: Flask, client: FlaskClient, session: Session,
                                      clock: ManualClock) -> None:
    """When the window that started at the first failure ends, the user may try again."""
    app.config.update(LOGIN_FAILURES_PER_USER=2, LOGIN_FAILURE_WINDOW_SECONDS=300)
    make_user(session, username="lan")
    for _ in range(2):
        client.get("/api/v1/me", headers=basic("lan", "bad"))
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD)).status_code == 429
    clock.advance(seconds=240)
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD)).status_code == 429
    clock.advance(seconds=61)
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD)).status_code == 200


def test_success_does_not_count_against_the_limit(app: Flask, client: FlaskClient,
                                                  session: Session) -> None:
    app.config.update(LOGIN_FAILURES_PER_USER=3, CREDENTIAL_CACHE_SECONDS=0)
    make_user(session, username="lan")
    app.extensions.pop("accord.credential_cache", None)
    try:
        codes = [client.get("/api/v1/me", headers=basic("lan", PASSWORD)).status_code
                 for _ in range(5)]
    finally:
        app.extensions.pop("accord.credential_cache", None)
    assert codes == [200] * 5


def test_counters_store_no_names_or_addresses(app: Flask, client: FlaskClient,
                                              session: Session) -> None:
    make_user(session, username="lan")
    client.get("/api/v1/me", headers=basic("lan", "bad"), environ_base=ATTACKER)
    keys = list(session.scalars(select(LoginThrottle.key)))
    assert len(keys) == 3
    assert all(len(key) == 64 and "lan" not in key and "192.0.2" not in key for key in keys)
