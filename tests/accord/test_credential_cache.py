"""The cache of successful Basic password checks (issue 12): reused briefly without argon2,
dropped on password change or deactivation, bounded, never caching failures, and never
bypassing the login limits.

A password verified with argon2 always leaves an ``auth.login`` audit row; a request served
from the cache does not, so counting those rows counts the argon2 verifications.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.credential_cache import EXTENSION, CredentialCache
from accord.models.audit import AuditEvent
from accord.services import users
from tests.accord.test_auth import basic
from tests.factories import PASSWORD, make_user


@pytest.fixture(autouse=True)
def fresh_cache(app: Flask) -> Iterator[CredentialCache]:
    """A fresh cache (60 s, 1024 entries) on the hub's clock for this test."""
    app.extensions[EXTENSION] = cache = CredentialCache(60, 1024)
    yield cache
    app.extensions.pop(EXTENSION, None)


def verifications(session: Session, username: str = "lan") -> int:
    session.expire_all()
    return int(session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.login", AuditEvent.actor_name == username)) or 0)


def me(client: FlaskClient, password: str = PASSWORD, username: str = "lan",
       address: str = "127.0.0.1") -> int:
    return client.get("/api/v1/me", headers=basic(username, password),
                      environ_base={"REMOTE_ADDR": address}).status_code


def test_a_verified_password_is_reused_until_the_ttl_ends(client: FlaskClient, session: Session,
                                                          clock: ManualClock) -> None:
    make_user(session, username="lan")
    assert [me(client) for _ in range(5)] == [200] * 5
    assert verifications(session) == 1
    clock.advance(seconds=59)
    assert me(client) == 200 and verifications(session) == 1
    clock.advance(seconds=2)  # past the 60 s TTL: verified again
    assert me(client) == 200 and verifications(session) == 2


@pytest.mark.parametrize("change", ["password", "deactivation"])
def test_a_credential_change_ends_the_cached_check(client: FlaskClient, session: Session,
                                                   change: str) -> None:
    """The change is made outside the server's process state (as another worker or the CLI
    would); the version in the user row ends the cached check."""
    make_user(session, username="lan")
    assert me(client) == 200
    if change == "password":
        users.set_password(session, "lan", "a-brand-new-password")
    else:
        users.deactivate_user(session, "lan")
    session.commit()
    assert me(client) == 401
    if change == "password":
        assert me(client, "a-brand-new-password") == 200


def test_failures_are_never_cached(client: FlaskClient, session: Session,
                                   fresh_cache: CredentialCache) -> None:
    make_user(session, username="lan")
    assert me(client) == 200
    assert [me(client, "wrong-password") for _ in range(2)] == [401, 401]
    session.expire_all()
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.failed")).all()
    assert len(failed) == 2  # each wrong password went to argon2 and was counted
    assert len(fresh_cache) == 1


def test_the_login_limits_apply_to_cached_checks(app: Flask, client: FlaskClient,
                                                 session: Session) -> None:
    app.config["LOGIN_FAILURES_PER_USER"] = 3
    make_user(session, username="lan")
    assert me(client, address="192.0.2.66") == 200
    assert [me(client, "guess", address="192.0.2.66") for _ in range(4)] == [401] * 3 + [429]
    assert me(client, address="192.0.2.66") == 429  # cached, but this address is throttled
    assert me(client, address="198.51.100.7") == 200


def test_the_cache_is_bounded_and_holds_no_secret(app: Flask, client: FlaskClient,
                                                  session: Session) -> None:
    app.extensions[EXTENSION] = cache = CredentialCache(60, 2)
    try:
        for name in ("ana", "ben", "cat"):
            make_user(session, username=name)
            assert me(client, username=name) == 200
        assert len(cache) == 2
        keys = list(cache._entries)
        assert all(len(key) == 64 and PASSWORD not in key and "ana" not in key for key in keys)
        assert me(client, username="ana") == 200 and verifications(session, "ana") == 2
    finally:
        app.extensions.pop(EXTENSION, None)


def test_ttl_zero_turns_the_cache_off(app: Flask, client: FlaskClient, session: Session) -> None:
    app.extensions[EXTENSION] = CredentialCache(0, 1024)
    try:
        make_user(session, username="lan")
        assert [me(client) for _ in range(3)] == [200] * 3
        assert verifications(session) == 3
    finally:
        app.extensions.pop(EXTENSION, None)
