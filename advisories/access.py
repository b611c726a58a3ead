"""Who sees which advisory: its issuing team and its recipients, nobody else (404 alike, so
an outsider cannot even learn that a reference exists). Shared by the API and the pages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import NotFound
from accord.models.users import User
from advisories.models import Advisory, AdvisoryRecipient


def load_visible(session: Session, ref: str, user: User) -> Advisory:
    """The advisory if the user's team issued it or receives it; 404 otherwise."""
    advisory = session.scalar(select(Advisory).where(Advisory.ref == ref[:32]))
    if advisory is None or not (advisory.issuer_team_id == user.team_id or any(
            r.team_id == user.team_id for r in advisory.recipients)):
        raise NotFound(f"no advisory {ref[:32]!r}")
    return advisory


def visible(session: Session, user: User) -> Sequence[Advisory]:
    """Advisories the user's team issued or received, newest first."""
    received = select(AdvisoryRecipient.advisory_id).where(
        AdvisoryRecipient.team_id == user.team_id)
    return session.scalars(select(Advisory).where(
        (Advisory.issuer_team_id == user.team_id) | Advisory.id.in_(received))
        .order_by(Advisory.issued_at.desc())).all()
