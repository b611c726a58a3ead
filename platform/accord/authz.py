"""Authorization helpers shared by TAXII, the JSON API, the web UI, feeds and exercises.

A team reaches a collection only through a :class:`CollectionGrant`; the grant's ``max_tlp``
caps what it reads there. Admins manage collections but read objects under the same TLP rules
as everyone else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from accord.db import utcnow
from accord.errors import Forbidden
from accord.models.agreements import Agreement, agreement_parties
from accord.models.collections import Collection, CollectionGrant
from accord.models.teams import Team, TrustGroup, trust_group_members
from accord.models.users import Role, Scope, User
from accord.tlp import ReadAccess

MANAGER_ROLES = frozenset({Role.ADMIN})


def grant_in_force(now: datetime | ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """SQL: the ``CollectionGrant`` row works at ``now`` (default: the hub's now, issue 17).

    ``now`` may be a bound parameter, for statements built once (:mod:`accord.taxii.access`).
    A grant made under a sharing agreement (its own ``agreement_id``, or else its collection's)
    works only while that agreement is active and only for its parties (the providing team and
    the partners); a grant under no agreement always works, and so does the collection owner's
    own grant. Every way to a collection (TAXII, API, web, exports) finds grants through this
    condition, so they all stop at once when an agreement ends.
    """
    moment = utcnow() if now is None else now
    owned = aliased(Collection)
    # Every subquery names the grant row of the enclosing statement explicitly: automatic
    # correlation reaches only the nearest enclosing SELECT, and a nested subquery would
    # otherwise scan every grant instead of this one.
    agreement_id = func.coalesce(
        CollectionGrant.agreement_id,
        select(owned.agreement_id).where(owned.id == CollectionGrant.collection_id)
        .correlate(CollectionGrant).scalar_subquery())
    party = exists().where(agreement_parties.c.agreement_id == Agreement.id,
                           agreement_parties.c.team_id == CollectionGrant.team_id
                           ).correlate(CollectionGrant, Agreement)
    active = exists().where(
        Agreement.id == agreement_id, Agreement.starts_at <= moment,
        or_(Agreement.ends_at.is_(None), Agreement.ends_at > moment),
        or_(Agreement.owner_team_id == CollectionGrant.team_id, party)).correlate(CollectionGrant)
    owner = exists().where(owned.id == CollectionGrant.collection_id,
                           owned.owner_team_id == CollectionGrant.team_id
                           ).correlate(CollectionGrant)
    return or_(agreement_id.is_(None), owner, active)


def agreement_refusal(session: Session, collection: Collection, team_id: uuid.UUID,
                      now: datetime | None = None) -> str | None:
    """Why ``collection`` may not go to ``team_id`` now because of the agreement it is made
    under, or None (no agreement, the owner, or a party while it is in force). For paths that
    send a collection to a team without a grant lookup, such as feed pushes."""
    if collection.agreement_id is None or team_id == collection.owner_team_id:
        return None
    agreement = session.get(Agreement, collection.agreement_id)
    if agreement is None:
        return None
    if not agreement.active_at(now or utcnow()):
        return f"the sharing agreement {agreement.title!r} is not in force"
    if team_id != agreement.owner_team_id and all(t.id != team_id for t in agreement.parties):
        return f"the team is not a party to the sharing agreement {agreement.title!r}"
    return None


def grant_for(session: Session, team_id: uuid.UUID,
              collection_id: uuid.UUID) -> CollectionGrant | None:
    """The grant of ``team_id`` on ``collection_id`` if it works now (:func:`grant_in_force`)."""
    return session.scalar(
        select(CollectionGrant).where(
            CollectionGrant.team_id == team_id, CollectionGrant.collection_id == collection_id,
            grant_in_force())
    )


def stored_grant(session: Session, team_id: uuid.UUID,
                 collection_id: uuid.UUID) -> CollectionGrant | None:
    """The grant row of ``team_id`` on ``collection_id``, in force or not (for managing it)."""
    return session.scalar(
        select(CollectionGrant).where(
            CollectionGrant.team_id == team_id, CollectionGrant.collection_id == collection_id))


def can_read(grant: CollectionGrant | None) -> bool:
    return grant is not None and grant.can_read


def can_write(user: User, grant: CollectionGrant | None) -> bool:
    """Writing needs a write grant and a role that produces intelligence."""
    if grant is None or not grant.can_write:
        return False
    return user.role not in (Role.OBSERVER, Role.EVALUATOR)


def require_delete(user: User, grant: CollectionGrant | None,
                   source_teams: Iterable[uuid.UUID]) -> None:
    """Deleting needs read and write on the collection (TAXII 2.1 section 5.7: one of them
    alone is a 403), and only the team that shared every version (or a hub admin) may delete."""
    if not (can_read(grant) and grant is not None and grant.can_write):
        raise Forbidden("Deleting needs both read and write access to this collection.")
    if not is_admin(user) and any(team != user.team_id for team in source_teams):
        raise Forbidden("Only the team that shared this object may delete it.")


def read_access(user: User, grant: CollectionGrant) -> ReadAccess:
    """The TLP policy inputs for ``user`` reading through ``grant``."""
    return ReadAccess(team_id=user.team_id, max_tlp=grant.max_tlp, is_service=user.is_service)


def visible_collections(session: Session, team_id: uuid.UUID, api_root: str | None = None) -> list[
    tuple[Collection, CollectionGrant]
]:
    """Collections the team may read or write, with its grant, ordered by title."""
    query = (
        select(Collection, CollectionGrant)
        .join(CollectionGrant, CollectionGrant.collection_id == Collection.id)
        .where(CollectionGrant.team_id == team_id, grant_in_force())
        .where((CollectionGrant.can_read.is_(True)) | (CollectionGrant.can_write.is_(True)))
        .order_by(Collection.title, Collection.id)
    )
    if api_root is not None:
        query = query.where(Collection.api_root == api_root)
    return [(row[0], row[1]) for row in session.execute(query)]


def share_trust_group(session: Session, team_a: uuid.UUID, team_b: uuid.UUID) -> bool:
    """True if the two teams are members of at least one common trust group."""
    if team_a == team_b:
        return True
    a = select(trust_group_members.c.trust_group_id).where(trust_group_members.c.team_id == team_a)
    query = select(trust_group_members.c.trust_group_id).where(
        trust_group_members.c.team_id == team_b, trust_group_members.c.trust_group_id.in_(a)
    )
    return session.scalar(query.limit(1)) is not None


def trust_group_peers(session: Session, team: Team) -> list[Team]:
    """Every other team sharing a trust group with ``team``."""
    groups = select(TrustGroup.id).join(TrustGroup.teams).where(Team.id == team.id)
    query = (
        select(Team)
        .join(trust_group_members, trust_group_members.c.team_id == Team.id)
        .where(trust_group_members.c.trust_group_id.in_(groups), Team.id != team.id)
        .distinct()
        .order_by(Team.name)
    )
    return list(session.scalars(query))


def is_admin(user: User) -> bool:
    """Whether ``user`` may act as a hub admin now: the admin role and, when ``user`` is the
    caller of an API/TAXII request, a credential with the ``admin`` scope (a read or write
    token of an admin has no admin rights). CLI and web sessions act with the full role."""
    if user.role != Role.ADMIN:
        return False
    principal = g.get("principal") if has_request_context() else None
    if principal is None or principal.user.id != user.id:
        return True
    return Scope.ADMIN.value in principal.scopes

