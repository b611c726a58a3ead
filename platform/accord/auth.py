"""Authentication of API and TAXII requests: HTTP Basic (password or token), Bearer and Token.

Every failure looks the same to the client (401 with ``WWW-Authenticate``), so nobody can learn
whether a username exists. Failed attempts are audited and rate limited per username and per
source address, counted from the audit log so the limit holds across workers.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, g, request
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord import audit
from accord.credentials import looks_like_token, token_hash, verify_password
from accord.db import utcnow
from accord.errors import Forbidden, TooManyRequests, Unauthorized
from accord.models.audit import AuditEvent
from accord.models.teams import Team
from accord.models.users import ApiToken, Role, Scope, User

LOGIN_FAILED = "auth.failed"
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


def _recent_failures(session: Session, column: InstrumentedAttribute[str | None],
                     value: str) -> int:
    window = timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])
    query = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == LOGIN_FAILED,
        column == value,
        AuditEvent.occurred_at >= utcnow() - window,
    )
    return int(session.scalar(query) or 0)


def check_rate_limit(session: Session, username: str | None) -> None:
    """Refuse (429) when too many recent failures came for this user or from this address."""
    config = current_app.config
    address = audit.source_address()
    retry = {"Retry-After": str(config["LOGIN_FAILURE_WINDOW_SECONDS"])}
    if username and possible_username(username) and _recent_failures(
            session, AuditEvent.actor_name, username) >= config[
        "LOGIN_FAILURES_PER_USER"
    ]:
        raise TooManyRequests(
            "Too many failed logins for this account; try again later.", headers=retry
        )
    if address and _recent_failures(session, AuditEvent.source_address, address) >= config[
        "LOGIN_FAILURES_PER_ADDRESS"
    ]:
        raise TooManyRequests("Too many failed logins from this address; try again later.",
                              headers=retry)


def _fail(username: str | None, reason: str) -> Unauthorized:
    """Audit a failed attempt (never the secret) and build the uniform 401."""
    audit.record_now(
        LOGIN_FAILED, outcome="failure", actor_name=username, details={"reason": reason}
    )
    return Unauthorized("The credentials are not valid.")


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
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None:
        raise _fail(username, "unknown token")
    if username is not None and token.user.username != username:
        raise _fail(username, "token of another user")
    now = utcnow()
    if token.revoked_at is not None:
        raise _fail(token.user.username, "revoked token")
    if token.expires_at is not None and token.expires_at <= now:
        raise _fail(token.user.username, "expired token")
    if not token.user.active:
        raise _fail(token.user.username, "inactive user")
    if not _network_allowed(token):
        raise _fail(token.user.username, "token used from a network it is not allowed from")
    interval = timedelta(seconds=current_app.config["TOKEN_TOUCH_INTERVAL_SECONDS"])
    if token.last_used_at is None or now - token.last_used_at >= interval:
        token.last_used_at = now
        token.last_used_from = audit.source_address()
        audit.record(session, "auth.token.used", actor=token.user, target_type="api_token",
                     target_id=token.id)
        session.commit()
    return Principal(user=token.user, token=token, scopes=frozenset(token.scopes))


def login_with_password(session: Session, username: str, password: str,
                        method: str = "password") -> User:
    """Check a username and password (the caller checks the rate limit first); audit the outcome.

    Shared by HTTP Basic and the web sign-in form so both count failures the same way.
    """
    if not possible_username(username):
        raise Unauthorized("The credentials are not valid.")
    user = session.scalar(select(User).where(User.username == username))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise _fail(username, "wrong username or password")
    if not user.active:
        raise _fail(username, "inactive user")
    user.last_login_at = utcnow()
    audit.record(session, "auth.login", actor=user, details={"method": method})
    session.commit()
    return user


def _authenticate_password(session: Session, username: str, password: str) -> Principal:
    user = login_with_password(session, username, password)
    return Principal(user=user, token=None, scopes=ALL_SCOPES)


def authenticate(session: Session) -> Principal:
    """Identify the caller of the current request or raise 401/429.

    The principal is cached on ``g`` for the rest of the request.
    """
    if "principal" in g:
        principal: Principal = g.principal
        return principal
    parsed = credentials_from_header(request.headers.get("Authorization", ""))
    if parsed is None:
        raise Unauthorized()
    username, secret = parsed
    check_rate_limit(session, username)
    if username is None or looks_like_token(secret):
        principal = _authenticate_token(session, username, secret)
    else:
        principal = _authenticate_password(session, username, secret)
    g.principal = principal
    g.user = principal.user
    return principal


def require_scope(principal: Principal, scope: Scope) -> None:
    """403 unless the credential carries ``scope``."""
    if not principal.has_scope(scope):
        raise Forbidden(f"This token lacks the '{scope.value}' scope.")


def require_role(principal: Principal, *roles: Role) -> None:
    """403 unless the user holds one of ``roles`` (admins always pass)."""
    if principal.user.role != Role.ADMIN and principal.user.role not in roles:
        names = ", ".join(dict.fromkeys(["admin", *(role.value for role in roles)]))
        raise Forbidden(f"This action needs one of these roles: {names}.")
