"""Find records by the names people type (team name, username, collection title or id)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.models.collections import Collection
from accord.models.teams import Team, TrustGroup
from accord.models.users import User


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def team(session: Session, name_or_id: str) -> Team:
    ident = _as_uuid(name_or_id)
    found = session.get(Team, ident) if ident else None
    found = found or session.scalar(select(Team).where(Team.name == name_or_id))
    if found is None:
        raise NotFound(f"unknown team {name_or_id!r}")
    return found


def trust_group(session: Session, name: str) -> TrustGroup:
    found = session.scalar(select(TrustGroup).where(TrustGroup.name == name))
    if found is None:
        raise NotFound(f"unknown trust group {name!r}")
    return found


def user(session: Session, username: str) -> User:
    found = session.scalar(select(User).where(User.username == username))
    if found is None:
        raise NotFound(f"unknown user {username!r}")
    return found


def collection(session: Session, ref: str) -> Collection:
    """A collection by id, alias or exact title."""
    ident = _as_uuid(ref)
    found = session.get(Collection, ident) if ident else None
    found = found or session.scalar(select(Collection).where(Collection.alias == ref))
    if found is None:
        matches = list(session.scalars(select(Collection).where(Collection.title == ref)))
        if len(matches) > 1:
            raise NotFound(f"several collections are titled {ref!r}; use the id")
        found = matches[0] if matches else None
    if found is None:
        raise NotFound(f"unknown collection {ref!r}")
    return found
