"""Writing audit events (ARCHITECTURE rule 6).

Events join the caller's transaction, so an action and its audit row commit together or not at
all. Failed logins are the exception: :func:`record_now` commits them on their own session so a
rolled-back request cannot erase the evidence that rate limiting counts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from flask import g, has_request_context, request
from sqlalchemy import Insert, Table
from sqlalchemy import insert as sa_insert
from sqlalchemy.orm import Session

from accord.db import database
from accord.models.audit import AuditEvent
from accord.models.teams import Team
from accord.models.users import User


def source_address() -> str | None:
    """The client address of the current request, if any."""
    return request.remote_addr if has_request_context() else None


def _columns(
    action: str,
    *,
    actor: User | None,
    team: Team | None,
    target_type: str | None,
    target_id: object | None,
    outcome: str,
    details: dict[str, Any] | None,
    actor_name: str | None,
    address: str | None,
) -> dict[str, Any]:
    """The column values of one event; the actor defaults to the request's user."""
    if actor is None and has_request_context():
        actor = g.get("user")
    if team is None and actor is not None:
        team = actor.team
    return dict(
        action=action,
        outcome=outcome,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else actor_name,
        team_id=team.id if team else None,
        team_name=team.name if team else None,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        source_address=address or source_address(),
        details=details or {},
    )


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    team: Team | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    actor_name: str | None = None,
    address: str | None = None,
) -> AuditEvent:
    """Add an audit event to ``session``; it commits with the caller's unit of work."""
    event = AuditEvent(**_columns(
        action,
        actor=actor,
        team=team,
        target_type=target_type,
        target_id=target_id,
        outcome=outcome,
        details=details,
        actor_name=actor_name,
        address=address,
    ))
    session.add(event)
    return event


def insert(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write a success event into the caller's transaction at once, as one Core ``INSERT``:
    no ORM object and no flush, for paths that audit every request (TAXII reads, issue 15).
    It commits, or rolls back, with the caller's transaction like :func:`record`."""
    session.execute(_insert_statement(), _columns(
        action, actor=actor, team=None, target_type=target_type, target_id=target_id,
        outcome="success", details=details, actor_name=None, address=None))


@lru_cache(maxsize=1)
def _insert_statement() -> Insert:
    """``INSERT INTO audit_events`` (Core; the column defaults fill ``occurred_at``)."""
    return sa_insert(cast(Table, AuditEvent.__table__))


def record_now(action: str, **fields: Any) -> None:
    """Write and commit one audit event in its own transaction (used for failures)."""
    session = database().sessionmaker()
    try:
        record(session, action, **fields)
        session.commit()
    finally:
        session.close()
