"""Who is calling and what they may do with a collection (sections 1.6.9, 5.x, 5.7).

Policy: 401 without valid credentials; 404 for an API root or collection the caller's team may
neither read nor write (so its existence does not leak); 403 for an operation on a visible
collection that the grant, role or token scope does not allow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam
from sqlalchemy.orm import Session

from accord import authz
from accord.auth import (
    AnySelect,
    Extend,
    Principal,
    authenticate,
    authenticate_joined,
    require_scope,
)
from accord.db import utcnow
from accord.errors import Forbidden, NotFound
from accord.models.collections import Collection, CollectionGrant
from accord.models.users import Scope, User
from accord.sharing.ingest import Author
from accord.tlp import ReadAccess


def api_roots() -> list[str]:
    roots: list[str] = list(current_app.config["TAXII_API_ROOTS"])
    return roots


def check_api_root(api_root: str) -> None:
    if api_root not in api_roots():
        raise NotFound(f"There is no API root {api_root!r} on this server.")


@dataclass
class CollectionAccess:
    """A collection as one caller reaches it."""

    principal: Principal
    collection: Collection
    grant: CollectionGrant

    @property
    def can_read(self) -> bool:
        return authz.can_read(self.grant) and self.principal.has_scope(Scope.READ)

    @property
    def can_write(self) -> bool:
        return authz.can_write(self.principal.user, self.grant) and \
            self.principal.has_scope(Scope.WRITE)

    def read_access(self) -> ReadAccess:
        return authz.read_access(self.principal.user, self.grant)

    def author(self) -> Author:
        token = self.principal.token
        return Author(team_id=self.principal.user.team_id, user_id=self.principal.user.id,
                      token_id=token.id if token else None)

    def require_read(self) -> None:
        if not authz.can_read(self.grant):
            raise Forbidden("Your team may not read this collection.")
        require_scope(self.principal, Scope.READ)

    def require_write(self) -> None:
        if not self.grant.can_write:
            raise Forbidden("Your team may not write to this collection.")
        if not authz.can_write(self.principal.user, self.grant):
            raise Forbidden(f"The {self.principal.user.role.value} role does not write objects.")
        require_scope(self.principal, Scope.WRITE)


def caller(session: Session, api_root: str) -> Principal:
    """Authenticate (401) and check the API root exists (404)."""
    principal = authenticate(session)
    check_api_root(api_root)
    return principal


def not_found(kind: str, ident: str) -> NotFound:
    """The one 404 for an unknown, malformed or hidden id, so none of them can be told apart."""
    return NotFound(f"There is no {kind} {ident[:80]!r} in this API root.")


def parse_id(kind: str, ident: str) -> uuid.UUID:
    """A resource id from the URL; a non-UUID is simply not found."""
    try:
        return uuid.UUID(ident)
    except ValueError:
        raise not_found(kind, ident) from None


def _with_collection(query: AnySelect, key: ColumnElement[bool]) -> AnySelect:
    """Adds the collection matching ``key`` in the API root, and the caller's team's grant on
    it, to the statement that loads the caller, as outer joins: None where there is none."""
    return (query.add_columns(Collection, CollectionGrant)
            .outerjoin(Collection, and_(key, Collection.api_root == bindparam("api_root")))
            .outerjoin(CollectionGrant, and_(CollectionGrant.collection_id == Collection.id,
                                             CollectionGrant.team_id == User.team_id,
                                             authz.grant_in_force(bindparam("grant_now")))))


def _by_id(query: AnySelect) -> AnySelect:
    return _with_collection(query, Collection.id == bindparam("collection"))


def _by_alias(query: AnySelect) -> AnySelect:
    return _with_collection(query, Collection.alias == bindparam("collection"))


def _collection_key(collection_id: str) -> tuple[Extend, uuid.UUID | str]:
    """Match the URL's collection segment: its id, or its alias (section 5.2 lets a client
    address a collection by the ``alias`` it advertises; aliases never parse as UUIDs)."""
    try:
        return _by_id, uuid.UUID(collection_id)
    except ValueError:
        return _by_alias, collection_id


def collection_access(session: Session, api_root: str, collection_id: str) -> CollectionAccess:
    """The caller's view of one collection (by id or alias), or 404 if it may not see it.

    Credential, login limits, collection and grant come in one statement (issue 15).
    """
    extend, key = _collection_key(collection_id)
    principal, (collection, grant) = authenticate_joined(
        session, extend, {"collection": key, "api_root": api_root, "grant_now": utcnow()})
    check_api_root(api_root)
    if collection is None or grant is None or not (grant.can_read or grant.can_write):
        raise not_found("collection", collection_id)
    return CollectionAccess(principal=principal, collection=collection, grant=grant)
