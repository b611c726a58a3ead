"""Issuing, listing and revoking API tokens."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.credentials import new_token, token_hash
from accord.db import utcnow
from accord.errors import BadRequest, Conflict, NotFound
from accord.models.users import ApiToken, Scope
from accord.services import lookup
from accord.services.fields import fits, number

MAX_EXPIRES_DAYS = 3650  # ten years; a longer-lived token is better issued without expiry


def parse_scopes(scopes: Iterable[str]) -> list[str]:
    result: list[str] = []
    for raw in scopes:
        for part in str(raw).split(","):
            name = part.strip().lower()
            if not name:
                continue
            try:
                result.append(Scope(name).value)
            except ValueError:
                raise BadRequest(f"scopes: {name!r} is not one of read, write, admin") from None
    if not result:
        raise BadRequest("scopes: give at least one of read, write, admin")
    return sorted(set(result))


def parse_networks(networks: Iterable[str]) -> list[str]:
    result = []
    for net in networks:
        try:
            result.append(str(ipaddress.ip_network(net.strip(), strict=False)))
        except ValueError:
            raise BadRequest(
                f"allowed_networks: {net!r} is not an IP address or CIDR network") from None
    return result


def create_token(
    session: Session,
    username: str,
    name: str,
    scopes: Iterable[str] = ("read",),
    expires_in_days: float | None = None,
    expires_at: datetime | None = None,
    allowed_networks: Iterable[str] = (),
) -> tuple[ApiToken, str]:
    """Issue a token; returns the record and the secret, which is never retrievable again."""
    name = fits(name or "token", ApiToken.name, "name")
    user = lookup.user(session, username)
    if not user.active:
        raise Conflict(f"user {username!r} is inactive")
    if expires_in_days is not None:
        days = number(expires_in_days, "expires_days", maximum=MAX_EXPIRES_DAYS)
        if days <= 0:
            raise BadRequest("expires: must be in the future")
        expires_at = utcnow() + timedelta(days=days)
    secret = new_token()
    token = ApiToken(
        user=user,
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        display_prefix=secret[:10],
        scopes=parse_scopes(scopes),
        allowed_networks=parse_networks(allowed_networks),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(session, "token.create", target_type="api_token", target_id=token.id,
                 details={"user": username, "name": token.name, "scopes": token.scopes})
    return token, secret


def find_token(session: Session, ref: str) -> ApiToken:
    """A token by id or by its displayed prefix."""
    token = None
    try:
        token = session.get(ApiToken, uuid.UUID(ref))
    except ValueError:
        matches = list(session.scalars(select(ApiToken).where(ApiToken.display_prefix == ref)))
        token = matches[0] if len(matches) == 1 else None
    if token is None:
        raise NotFound(f"unknown token {ref!r}")
    return token


def revoke_token(session: Session, ref: str) -> ApiToken:
    token = find_token(session, ref)
    if token.revoked_at is not None:
        raise Conflict(f"token {ref!r} is already revoked")
    token.revoked_at = utcnow()
    audit.record(session, "token.revoke", target_type="api_token", target_id=token.id,
                 details={"user": token.user.username, "name": token.name})
    return token


def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at)
    if username:
        query = query.where(ApiToken.user_id == lookup.user(session, username).id)
    return list(session.scalars(query))
