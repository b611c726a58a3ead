"""Names (and links) for audit targets, so the audit log shows "collection Partner indicators"
instead of a raw UUID. Looked up in one query per target type for a page of events. The core
names its own types; features add theirs through ``Feature.audit_targets`` (exercises, feeds,
advisories). A target that no longer exists, or a type nobody names, falls back to the name the
event recorded in its details, then to the id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import url_for
from sqlalchemy.orm import Session

from accord import features
from accord.features import AuditTarget, AuditTargets, named_by_column
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.teams import Team, TrustGroup
from accord.models.users import ApiToken, User


def _collection_url(target_id: str) -> str:
    return url_for("web.admin.collection_list", _anchor=f"col-{target_id}")


CORE_TARGETS = (
    AuditTargets("collection", named_by_column(Collection.id, Collection.title, _collection_url)),
    AuditTargets("team", named_by_column(Team.id, Team.name,
                                         lambda _id: url_for("web.admin.team_list"))),
    AuditTargets("trust_group", named_by_column(TrustGroup.id, TrustGroup.name,
                                                lambda _id: url_for("web.admin.team_list"))),
    AuditTargets("user", named_by_column(User.id, User.username,
                                         lambda _id: url_for("web.admin.user_list"))),
    AuditTargets("api_token", named_by_column(ApiToken.id, ApiToken.name,
                                              lambda _id: url_for("web.admin.token_list"))),
)


def _ids(values: Iterable[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def _resolvers() -> dict[str, AuditTargets]:
    """Every known target type, the core's first (a feature cannot rename a core type)."""
    resolvers = {targets.target_type: targets for targets in features.audit_targets()}
    resolvers.update({targets.target_type: targets for targets in CORE_TARGETS})
    return resolvers


def describe(session: Session, events: list[AuditEvent]) -> dict[int, AuditTarget]:
    """The target of each event that has one, keyed by the event's id."""
    found: dict[tuple[str, str], AuditTarget] = {}
    for kind, resolver in _resolvers().items():
        wanted = _ids(e.target_id for e in events if e.target_type == kind and e.target_id)
        if wanted:
            targets = resolver.resolve(session, wanted)
            found.update({(kind, target_id): target for target_id, target in targets.items()})
    described: dict[int, AuditTarget] = {}
    for event in events:
        if not event.target_type or not event.target_id:
            continue
        target = found.get((event.target_type, event.target_id))
        if target is None:
            recorded = (event.details or {}).get("name") or (event.details or {}).get("title")
            target = AuditTarget(str(recorded) if recorded else event.target_id)
        described[event.id] = target
    return described
