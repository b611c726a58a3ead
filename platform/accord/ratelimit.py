"""Failed-login limits with atomic counters in the database, shared by every worker (issue 12).

A password check first *reserves* one attempt on each counter that applies, in one conditional
``UPDATE`` that succeeds only while the counter is under its limit; the argon2 verification runs
only after that. So N concurrent wrong guesses against a limit of L verify at most L passwords,
on SQLite (writers are serialised) and PostgreSQL (the row lock re-checks the condition). A
success gives its reservation back; a failure keeps it until the window ends.

Counters (each a fixed window of ``LOGIN_FAILURE_WINDOW_SECONDS`` from its first failure):

- username *and* source address (``LOGIN_FAILURES_PER_USER``): an attacker at one address
  locks only himself out of that account, never the real user elsewhere;
- source address (``LOGIN_FAILURES_PER_ADDRESS``): guessing many usernames from one place;
- username from anywhere (``LOGIN_FAILURES_PER_USER_ANYWHERE``, much higher): a ceiling on
  guessing one account from many addresses.

Keys are keyed hashes (:func:`accord.credentials.fingerprint`), never the name typed, which may
be a password or a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    case,
    exists,
    false,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from accord.credentials import fingerprint
from accord.db import UTCDateTime, database, utcnow
from accord.models.throttle import LoginThrottle

UNLIMITED = 2**31 - 1


@dataclass(frozen=True)
class Limit:
    """One counter that applies to a login attempt."""

    key: str
    limit: int
    message: str


class Throttled(Exception):
    """Too many failed logins; ``retry_after`` is in seconds, ``message`` says for what."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def login_limits(username: str | None, address: str | None) -> list[Limit]:
    """The counters for a login as ``username`` (None: a bare token) from ``address``."""
    config = current_app.config
    secret = str(config["SECRET_KEY"])
    limits: list[Limit] = []
    if username is not None:
        limits.append(Limit(fingerprint(secret, "login-user-address", f"{username}\0{address}"),
                            int(config["LOGIN_FAILURES_PER_USER"]),
                            "Too many failed logins for this account; try again later."))
    if address:
        limits.append(Limit(fingerprint(secret, "login-address", address),
                            int(config["LOGIN_FAILURES_PER_ADDRESS"]),
                            "Too many failed logins from this address; try again later."))
    if username is not None:
        limits.append(Limit(fingerprint(secret, "login-user", username),
                            int(config["LOGIN_FAILURES_PER_USER_ANYWHERE"]),
                            "Too many failed logins for this account; try again later."))
    return limits


def _window() -> timedelta:
    return timedelta(seconds=int(current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"]))


def _retry_after(window_start: datetime, now: datetime) -> int:
    left = (window_start + _window() - now).total_seconds()
    return max(int(left) + 1, 1)


def _take(conn: Connection, limit: Limit, cap: int, now: datetime) -> bool:
    """Count one attempt on ``limit`` if it is under ``cap`` (a new window starts at 1)."""
    if cap <= 0:
        return False
    expired = LoginThrottle.window_start <= now - _window()
    stamp = literal(now, UTCDateTime())
    counting = (update(LoginThrottle)
                .where(LoginThrottle.key == limit.key, expired | (LoginThrottle.attempts < cap))
                .values(attempts=case((expired, 1), else_=LoginThrottle.attempts + 1),
                        window_start=case((expired, stamp), else_=LoginThrottle.window_start)))
    if conn.execute(counting).rowcount:
        return True
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    created = conn.execute(dialect.insert(LoginThrottle)
                           .values(key=limit.key, attempts=1, window_start=now)
                           .on_conflict_do_nothing(index_elements=["key"])
                           .returning(LoginThrottle.key)).first()
    if created is not None:  # (rowcount is not reliable for INSERT ... ON CONFLICT)
        return True
    # Another worker created the row between the two statements: count on it.
    return bool(conn.execute(counting).rowcount)


def _engine() -> Engine:
    return database().engine


def _refusal(limit: Limit, now: datetime) -> Throttled:
    with _engine().connect() as conn:
        started = conn.scalar(select(LoginThrottle.window_start)
                              .where(LoginThrottle.key == limit.key))
    return Throttled(limit.message, _retry_after(started or now, now))


def reserve(limits: Sequence[Limit]) -> None:
    """Reserve one attempt on every counter, or none of them and raise :class:`Throttled`.

    Each counter is taken in its own transaction, committed at once, so other workers see it
    before this one spends time verifying the password.
    """
    now = utcnow()
    taken: list[Limit] = []
    for limit in limits:
        with _engine().begin() as conn:
            ok = _take(conn, limit, limit.limit, now)
        if not ok:
            release(taken)
            raise _refusal(limit, now)
        taken.append(limit)


def count_failure(limits: Sequence[Limit]) -> None:
    """Count a failure that was not reserved first (token checks cost no argon2)."""
    now = utcnow()
    with _engine().begin() as conn:
        for limit in limits:
            _take(conn, limit, UNLIMITED, now)


def release(limits: Sequence[Limit]) -> None:
    """Give back reservations of an attempt that succeeded."""
    if not limits:
        return
    with _engine().begin() as conn:
        conn.execute(update(LoginThrottle)
                     .where(LoginThrottle.key.in_([limit.key for limit in limits]),
                            LoginThrottle.attempts > 0)
                     .values(attempts=LoginThrottle.attempts - 1))


def check(limits: Sequence[Limit]) -> None:
    """Raise :class:`Throttled` if any counter is full (for checks that verify no password)."""
    if not limits:
        return
    now = utcnow()
    by_key = {limit.key: limit for limit in limits}
    with _engine().connect() as conn:
        rows = conn.execute(select(LoginThrottle.key, LoginThrottle.attempts,
                                   LoginThrottle.window_start)
                            .where(LoginThrottle.key.in_(list(by_key)),
                                   LoginThrottle.window_start > now - _window())).all()
    for key, attempts, started in rows:
        if attempts >= by_key[key].limit:
            raise Throttled(by_key[key].message, _retry_after(started, now))


def full_template(count: int) -> ColumnElement[bool]:
    """SQL that is true when one of ``count`` counters is full now: :func:`check` as one
    condition with bound parameters (:func:`full_params` fills them), so the credential lookup
    asks it in the same statement (issue 15). Only a hint: a true value is followed by
    :func:`check`, which words the refusal."""
    if not count:
        return false()
    full = or_(*(and_(LoginThrottle.key == bindparam(f"throttle_key_{n}"),
                      LoginThrottle.attempts >= bindparam(f"throttle_max_{n}"))
                 for n in range(count)))
    return exists().where(full, LoginThrottle.window_start > bindparam("throttle_since"))


def full_params(limits: Sequence[Limit]) -> dict[str, Any]:
    """The values of :func:`full_template` for ``limits``."""
    params: dict[str, Any] = {"throttle_since": utcnow() - _window()} if limits else {}
    for n, limit in enumerate(limits):
        params[f"throttle_key_{n}"] = limit.key
        params[f"throttle_max_{n}"] = limit.limit
    return params
