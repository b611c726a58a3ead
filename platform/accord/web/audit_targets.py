"""Names (and links) for audit targets, so the audit log shows "collection Partner indicators"
instead of a raw UUID. Looked up in one query per target type for a page of events; a target
that no longer exists, or a feature's type the core does not know, falls back to the name the
event recorded in its details, then to the id."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.agreements import Agreement
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.teams import Team, TrustGroup
from accord.models.users import ApiToken, User


@dataclass(frozen=True)
class Target:
    """What the audit page shows for an event's target."""

    label: str
    url: str | None = None


def _collection_url(target_id: str) -> str:
    return url_for("web.admin.collection_list", _anchor=f"col-{target_id}")


_LOOKUPS: dict[str, tuple[type, str, Callable[[str], str] | None]] = {
    "collection": (Collection, "title", _collection_url),
    "team": (Team, "name", lambda _id: url_for("web.admin.team_list")),
    "trust_group": (TrustGroup, "name", lambda _id: url_for("web.admin.team_list")),
    "user": (User, "username", lambda _id: url_for("web.admin.user_list")),
    "api_token": (ApiToken, "name", lambda _id: url_for("web.admin.token_list")),
    "agreement": (Agreement, "title", lambda ref: url_for("web.agreements.detail", ref=ref)),
}


def _ids(values: Iterable[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def describe(session: Session, events: list[AuditEvent]) -> dict[int, Target]:
    """The target of each event that has one, keyed by the event's id."""
    names: dict[tuple[str, str], str] = {}
    for kind, (model, column, _url) in _LOOKUPS.items():
        wanted = _ids(e.target_id for e in events if e.target_type == kind and e.target_id)
        if wanted:
            rows = session.execute(select(model.id, getattr(model, column))  # type: ignore[attr-defined]
                                   .where(model.id.in_(wanted)))  # type: ignore[attr-defined]
            names.update({(kind, str(row_id)): str(name) for row_id, name in rows})
    described: dict[int, Target] = {}
    for event in events:
        if not event.target_type or not event.target_id:
            continue
        key = (event.target_type, event.target_id)
        if key in names:
            url_of = _LOOKUPS[event.target_type][2]
            described[event.id] = Target(names[key], url_of(event.target_id) if url_of else None)
        else:
            recorded = (event.details or {}).get("name") or (event.details or {}).get("title")
            described[event.id] = Target(str(recorded) if recorded else event.target_id)
    return described
