"""One agreement as people and the API see it: parties, collections, grants and policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.agreements import Agreement
from accord.models.collections import Collection, CollectionGrant
from accord.oversight.wording import policy_lines, retention_words
from accord.services.agreements import status


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def agreement_collections(session: Session, agreement: Agreement) -> list[Collection]:
    """The collections made under the agreement, by title."""
    return list(session.scalars(select(Collection).where(Collection.agreement_id == agreement.id)
                                .order_by(Collection.title, Collection.id)))


def agreement_grants(session: Session, agreement: Agreement
                     ) -> list[tuple[Collection, CollectionGrant]]:
    """Grants made under the agreement (their own, or their collection's), owners' left out."""
    rows = session.execute(
        select(Collection, CollectionGrant)
        .join(CollectionGrant, CollectionGrant.collection_id == Collection.id)
        .where(or_(CollectionGrant.agreement_id == agreement.id,
                   Collection.agreement_id == agreement.id),
               CollectionGrant.team_id != Collection.owner_team_id)
        .order_by(Collection.title, Collection.id))
    return [(row[0], row[1]) for row in rows]


def summary(agreement: Agreement, now: datetime | None = None) -> dict[str, Any]:
    """The agreement's terms (no collections): for lists and the CLI."""
    return {
        "id": str(agreement.id), "title": agreement.title, "purpose": agreement.purpose,
        "legal_basis": agreement.legal_basis, "owner_team": agreement.owner_team.name,
        "partners": [team.name for team in agreement.parties],
        "default_policy": agreement.default_policy,
        "retention_days": agreement.retention_days,
        "starts_at": _iso(agreement.starts_at), "ends_at": _iso(agreement.ends_at),
        "status": status(agreement, now),
    }


def describe(session: Session, agreement: Agreement) -> dict[str, Any]:
    """Terms, policy in words, collections and grants (with whether each works now)."""
    now = utcnow()
    active = agreement.active_at(now)
    return {
        **summary(agreement, now),
        "policy_in_words": [{"statement": label, "meaning": meaning}
                            for label, meaning in policy_lines(agreement.default_policy)],
        "retention_in_words": retention_words(agreement.retention_days),
        "collections": [{"id": str(c.id), "title": c.title, "alias": c.alias,
                         "owner": c.owner_team.name} for c in
                        agreement_collections(session, agreement)],
        "grants": [{"collection": collection.title, "team": grant.team.name,
                    "can_read": grant.can_read, "can_write": grant.can_write,
                    "max_tlp": grant.max_tlp.value,
                    "in_force": active and any(t.id == grant.team_id for t in agreement.parties
                                               + [agreement.owner_team])}
                   for collection, grant in agreement_grants(session, agreement)],
    }
