"""How the centre reaches each constituent: its email, escalation contact and webhook."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.models.teams import Team
from advisories.models import AdvisoryContact


@dataclass(frozen=True)
class Reach:
    email: str
    escalation_email: str
    webhook_url: str


def reach(session: Session, team: Team) -> Reach:
    """The team's addresses: its own record here, else the team's contact if it is an email."""
    row = session.get(AdvisoryContact, team.id)
    fallback = team.contact if "@" in (team.contact or "") else ""
    if row is None:
        return Reach(fallback, "", "")
    return Reach(row.email or fallback, row.escalation_email, row.webhook_url)


def set_reach(session: Session, team_id: uuid.UUID, *, email: str = "",
              escalation_email: str = "", webhook_url: str = "") -> AdvisoryContact:
    row = session.get(AdvisoryContact, team_id) or AdvisoryContact(team_id=team_id)
    row.email, row.escalation_email, row.webhook_url = email, escalation_email, webhook_url
    session.add(row)
    return row
