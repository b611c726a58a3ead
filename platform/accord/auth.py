"""Authentication of API and TAXII requests: HTTP Basic (password or token), Bearer and Token.

Every failure looks the same to the client (401 with ``WWW-Authenticate``), so nobody can learn
whether a username exists. Failed attempts are audited (without what was typed: a fingerprint
when it names no account) and rate limited by :mod:`accord.ratelimit`, whose database counters
hold across workers; a password is verified only after an attempt was reserved there. A
successful password check is cached briefly (:mod:`accord.credential_cache`).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, g, request
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, contains_eager

from accord import audit, credential_cache, ratelimit
from accord.credentials import fingerprint, looks_like_token, token_hash, verify_password
from accord.db import database, utcnow
from accord.errors import Forbidden, TooManyRequests, Unauthorized
from accord.models.teams import Team
from accord.models.users import ApiToken, Role, Scope, User

LOGIN_FAILED = "auth.failed"
LOGIN_THROTTLED = "auth.throttled"
MAX_USERNAME = 80  # User.username and AuditEvent.actor_name are String(80)


@dataclass
class Principal:
    """Who is making the current request, and with which credential."""

    user: User
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def team(self) -> Team:
        return self.user.team

    def has_scope(self, scope: Scope) -> bool:
        return scope.value in self.scopes or Scope.ADMIN.value in self.scopes


ALL_SCOPES = frozenset(scope.value for scope in Scope)


TOKEN_SCHEMES = ("bearer", "token")  # RFC 6750; taxii2-client's TokenAuth sends "Token"


def credentials_from_header(header: str) -> tuple[str | None, str] | None:
    """(username or None, secret) from an ``Authorization`` value, or None if it is empty.

    The schemes TAXII clients send: ``Bearer <token>``, ``Token <token>`` and Basic with a
    password or a token as the password (an empty username means "this token's owner"). Every
    form ends in the same token or password check, so scopes and limits are the same.
    """
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in TOKEN_SCHEMES and value:
        return None, value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("The Basic credentials are not valid base64 UTF-8.") from None
        username, sep, secret = decoded.partition(":")
        if not sep:
            raise Unauthorized("Basic credentials must be username:password.")
        if not username and looks_like_token(secret):
            return None, secret
        if not possible_username(username):
            raise Unauthorized("The credentials are not valid.")
        return username, secret
    raise Unauthorized("Use HTTP Basic, Bearer or Token authentication.")


def possible_username(username: str) -> bool:
    """False for names no account can have (too long, NUL): refused before any query, since
    the audit log could not record them and PostgreSQL cannot compare text holding NUL."""
    return len(username) <= MAX_USERNAME and "\x00" not in username


def _who(session: Session, typed: str | None, user: User | None) -> dict[str, Any]:
    """Audit fields naming whom a login attempt was for, never what was typed verbatim.

    A known account is recorded by id and name. Anything else (a token sent as the username,
    a password typed into the username field) is recorded only as a keyed fingerprint, so
    repeated attempts can be correlated without the audit log holding a secret.
    """
    if user is None and typed is not None and possible_username(typed):
        user = session.scalar(select(User).where(User.username == typed))
    if user is not None:
        return {"actor": user}
    if typed is None:
        return {}
    mark = fingerprint(str(current_app.config["SECRET_KEY"]), "audit-credential", typed)[:16]
    return {"actor_name": f"unknown:{mark}", "details": {"fingerprint": mark}}


def _audit_refusal(session: Session, action: str, typed: str | None, user: User | None,
                   details: dict[str, Any]) -> None:
    """Write a failed-login (or throttled) row in its own transaction, after giving the request's
    connection back, so a flood of refused logins never holds two pool connections per request
    (and a rolled-back request cannot erase the evidence)."""
    user_id = user.id if user is not None else None
    session.rollback()
    db = database().sessionmaker()
    try:
        who = _who(db, typed, db.get(User, user_id) if user_id is not None else None)
        audit.record(db, action, outcome="failure",
                     details={**details, **who.pop("details", {})}, **who)
        db.commit()
    finally:
        db.close()


def _fail(session: Session, typed: str | None, reason: str,
          user: User | None = None) -> Unauthorized:
    """Audit a failed attempt (never the secret, nor an unknown name) and build the 401."""
    _audit_refusal(session, LOGIN_FAILED, typed, user, {"reason": reason})
    return Unauthorized("The credentials are not valid.")


def _throttled(session: Session, typed: str | None, refusal: ratelimit.Throttled
               ) -> TooManyRequests:
    """Audit a refusal by the login limits (429) and build it, with ``Retry-After``."""
    _audit_refusal(session, LOGIN_THROTTLED, typed, None,
                   {"reason": refusal.message, "retry_after": refusal.retry_after})
    return TooManyRequests(refusal.message, headers={"Retry-After": str(refusal.retry_after)})


def check_limits(session: Session, typed: str | None, limits: list[ratelimit.Limit]) -> None:
    """429 if a login limit is reached (for checks that verify no password)."""
    try:
        ratelimit.check(limits)
    except ratelimit.Throttled as refusal:
        raise _throttled(session, typed, refusal) from None


def _network_allowed(token: ApiToken) -> bool:
    if not token.allowed_networks:
        return True
    address = audit.source_address()
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in token.allowed_networks)


def _authenticate_token(session: Session, username: str | None, secret: str) -> Principal:
    limits = ratelimit.login_limits(username, audit.source_address())
    check_limits(session, username, limits)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    return _accept_token(session, username, token, limits)


def _accept_token(session: Session, username: str | None, token: ApiToken | None,
                  limits: list[ratelimit.Limit]) -> Principal:
    """The principal of a looked-up token, or 401 (audited, counted) if it may not be used."""
    failure = _token_failure(token, username)
    if failure is not None:
        owner = token.user if token is not None and failure != "token of another user" else None
        refusal = _fail(session, username, failure, user=owner)
        ratelimit.count_failure(limits)
        raise refusal
    assert token is not None
    now = utcnow()
    interval = timedelta(seconds=current_app.config["TOKEN_TOUCH_INTERVAL_SECONDS"])
    if token.last_used_at is None or now - token.last_used_at >= interval:
        token.last_used_at = now
        token.last_used_from = audit.source_address()
        audit.record(session, "auth.token.used", actor=token.user, target_type="api_token",
                     target_id=token.id)
        session.commit()
    return Principal(user=token.user, token=token, scopes=frozenset(token.scopes))


def _token_failure(token: ApiToken | None, username: str | None) -> str | None:
    """Why ``token`` may not be used now (None: it may)."""
    if token is None:
        return "unknown token"
    if username is not None and token.user.username != username:
        return "token of another user"
    if token.revoked_at is not None:
        return "revoked token"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired token"
    if not token.user.active:
        return "inactive user"
    if not _network_allowed(token):
        return "token used from a network it is not allowed from"
    return None


def login_with_password(session: Session, username: str, password: str,
                        method: str = "password") -> User:
    """Check a username and password (the caller reserved an attempt); audit the outcome."""
    if not possible_username(username):
        raise _fail(session, username, "wrong username or password")
    user = session.scalar(select(User).where(User.username == username))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise _fail(session, username, "wrong username or password", user=user)
    if not user.active:
        raise _fail(session, username, "inactive user", user=user)
    user.last_login_at = utcnow()
    audit.record(session, "auth.login", actor=user, details={"method": method})
    session.commit()
    return user


def verify_login(session: Session, username: str, password: str,
                 method: str = "password") -> User:
    """Reserve an attempt under the login limits (429), then check the password (401).

    Shared by HTTP Basic and the web sign-in form so both count failures the same way. A
    failure keeps its reservation (it counts); a success gives it back.
    """
    limits = ratelimit.login_limits(username or None, audit.source_address())
    try:
        ratelimit.reserve(limits)
    except ratelimit.Throttled as refusal:
        raise _throttled(session, username or None, refusal) from None
    user = login_with_password(session, username, password, method)
    ratelimit.release(limits)
    return user


def _cached_user(session: Session, key: str, username: str) -> User | None:
    """The user of a cached successful check, if it still stands (one query: the user row)."""
    cache = credential_cache.for_app()
    hit = cache.get(key)
    if hit is None:
        return None
    user = session.scalar(select(User).where(User.id == hit.user_id))
    if user is None or not _still_valid(user, username, hit):
        cache.drop(key)
        return None
    return user


def _still_valid(user: User, username: str, hit: credential_cache.Verified) -> bool:
    """Whether a cached password check still stands for ``user`` as loaded now."""
    return (user.active and user.username == username
            and user.credentials_version == hit.credentials_version)


def _authenticate_password(session: Session, username: str, password: str) -> Principal:
    cache = credential_cache.for_app()
    key = credential_cache.cache_key(username, password) if cache.enabled else None
    user = _cached_user(session, key, username) if key else None
    if user is not None:
        check_limits(session, username, ratelimit.login_limits(username,
                                                               audit.source_address()))
    else:
        user = verify_login(session, username, password)
        if key:
            cache.put(key, user.id, user.credentials_version)
    return Principal(user=user, token=None, scopes=ALL_SCOPES)


AnySelect = Select[*tuple[Any, ...]]
"""A select of any columns (SQLAlchemy 2.1 types a select by its columns)."""

Extend = Callable[[AnySelect], AnySelect]
"""Adds columns (and outer joins on ``User``) to the statement that loads the caller, with
bound parameters for its values. A module-level function: statements are built once per
process and kept by it (building them cost more than running them; issue 15)."""


def _no_extra(query: AnySelect) -> AnySelect:
    return query


@lru_cache(maxsize=64)
def _token_statement(limit_count: int, extend: Extend) -> AnySelect:
    """A token by hash, with its user and team, the login limits' verdict and the extras."""
    return extend(select(ApiToken, ratelimit.full_template(limit_count).label("throttled"))
                  .join(ApiToken.user).join(User.team)
                  .options(contains_eager(ApiToken.user).contains_eager(User.team))
                  .where(ApiToken.token_hash == bindparam("token_hash")))


@lru_cache(maxsize=64)
def _user_statement(limit_count: int, extend: Extend) -> AnySelect:
    """A user by id, the login limits' verdict and the extras."""
    return extend(select(User, ratelimit.full_template(limit_count).label("throttled"))
                  .select_from(User).where(User.id == bindparam("user_id")))


def _extras(session: Session, extend: Extend, params: Mapping[str, Any],
            user: User) -> tuple[Any, ...]:
    """What ``extend`` adds, read on its own (the credential took the step-by-step path)."""
    if extend is _no_extra:
        return ()
    row = session.execute(_user_statement(0, extend), {**params, "user_id": user.id}).one()
    return tuple(row[2:])


def _token_joined(session: Session, username: str | None, secret: str, extend: Extend,
                  params: Mapping[str, Any]) -> tuple[Principal, tuple[Any, ...]]:
    """A token, the login limits' verdict and the extra columns in one statement.

    An unknown token or a full counter goes the step-by-step way, which words the refusal.
    """
    limits = ratelimit.login_limits(username, audit.source_address())
    row = session.execute(_token_statement(len(limits), extend),
                          {**params, **ratelimit.full_params(limits),
                           "token_hash": token_hash(secret)}).first()
    if row is None or row[1]:
        principal = _authenticate_token(session, username, secret)
        return principal, _extras(session, extend, params, principal.user)
    return _accept_token(session, username, row[0], limits), tuple(row[2:])


def _password_joined(session: Session, username: str, password: str, extend: Extend,
                     params: Mapping[str, Any]) -> tuple[Principal, tuple[Any, ...]]:
    """A cached password check: the user, the limits' verdict and the extras in one statement;
    anything else (no cached check, a stale one, a full counter) goes the step-by-step way."""
    cache = credential_cache.for_app()
    key = credential_cache.cache_key(username, password) if cache.enabled else None
    hit = cache.get(key) if key else None
    if key and hit is not None:
        limits = ratelimit.login_limits(username, audit.source_address())
        row = session.execute(_user_statement(len(limits), extend),
                              {**params, **ratelimit.full_params(limits),
                               "user_id": hit.user_id}).first()
        if row is not None and not row[1] and _still_valid(row[0], username, hit):
            return Principal(user=row[0], token=None, scopes=ALL_SCOPES), tuple(row[2:])
    principal = _authenticate_password(session, username, password)
    return principal, _extras(session, extend, params, principal.user)


def authenticate(session: Session) -> Principal:
    """Identify the caller of the current request or raise 401/429.

    The principal is cached on ``g`` for the rest of the request.
    """
    return authenticate_joined(session, _no_extra)[0]


def authenticate_joined(session: Session, extend: Extend, params: Mapping[str, Any] | None = None
                        ) -> tuple[Principal, tuple[Any, ...]]:
    """:func:`authenticate`, and whatever ``extend`` adds to the statement that loads the
    caller (a TAXII collection and the team's grant on it), so a request pays one round trip
    for token, user, team, login limits and its own rows (issue 15) rather than four."""
    params = params or {}
    if "principal" in g:
        principal: Principal = g.principal
        return principal, _extras(session, extend, params, principal.user)
    parsed = credentials_from_header(request.headers.get("Authorization", ""))
    if parsed is None:
        raise Unauthorized()
    username, secret = parsed
    if username is None or looks_like_token(secret):
        principal, extra = _token_joined(session, username, secret, extend, params)
    else:
        principal, extra = _password_joined(session, username, secret, extend, params)
    g.principal = principal
    g.user = principal.user
    return principal, extra


def require_scope(principal: Principal, scope: Scope) -> None:
    """403 unless the credential carries ``scope``."""
    if not principal.has_scope(scope):
        raise Forbidden(f"This token lacks the '{scope.value}' scope.")


def require_role(principal: Principal, *roles: Role) -> None:
    """403 unless the user holds one of ``roles``, or is an admin whose credential carries the
    ``admin`` scope (an admin acting with a read or write token has no admin rights)."""
    if principal.user.role == Role.ADMIN:
        require_scope(principal, Scope.ADMIN)
        return
    if principal.user.role not in roles:
        names = ", ".join(dict.fromkeys(["admin", *(role.value for role in roles)]))
        raise Forbidden(f"This action needs one of these roles: {names}.")


def require_admin(principal: Principal) -> None:
    """403 unless the caller is an admin with the ``admin`` scope (every admin action)."""
    require_role(principal)
