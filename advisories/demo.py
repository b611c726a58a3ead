"""Demo data for advisories: four constituent teams in a "Constituents" trust group and one
advisory from Lotus CERT in progress (two teams have answered, the others have not)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.teams import Team
from accord.models.users import Role, User
from accord.services import teams, users
from accord.tlp import Tlp
from advisories import issuing, responses
from advisories.contacts import set_reach
from advisories.issuing import AdvisorySpec
from advisories.models import Severity

DEMO_GROUP = "Constituents"
DEMO_CONSTITUENTS = (
    # team, country, time zone, analyst's username
    ("Ministry of Finance", "VN", "Asia/Ho_Chi_Minh", "finance"),
    ("Ministry of Health", "VN", "Asia/Ho_Chi_Minh", "health"),
    ("Province North", "VN", "Asia/Ho_Chi_Minh", "north"),
    ("Province South", "VN", "Asia/Ho_Chi_Minh", "south"),
)
DEMO_BODY = """CVE-2026-0001 in the edge VPN gateways is **exploited in the wild**.

1. Patch to 9.4.2 or later.
2. Block `203.0.113.66` at the perimeter.
3. Report your status here: *not affected*, *investigating*, *mitigated* or *needs help*.
"""


def seed_demo_advisory(session: Session) -> None:
    """Constituents, their analysts, and one advisory in progress, issued by ``coordinator``."""
    coordinator = session.scalar(select(User).where(User.username == "coordinator"))
    if coordinator is None or session.scalar(
            select(Team.id).where(Team.name == DEMO_CONSTITUENTS[0][0])) is not None:
        return
    password = session.scalar(select(User.password_hash).where(User.id == coordinator.id))
    teams.create_trust_group(session, DEMO_GROUP, "Ministries and provinces of the demo")
    analysts: dict[str, User] = {}
    for name, country, zone, username in DEMO_CONSTITUENTS:
        team = teams.create_team(session, name, country, f"soc@{username}.example", zone)
        teams.add_team_to_group(session, DEMO_GROUP, name)
        set_reach(session, team.id, email=f"soc@{username}.example",
                  escalation_email=f"ciso@{username}.example")
        analysts[name] = users.create_user(session, username, name, Role.ANALYST,
                                            secrets.token_urlsafe(24))
        analysts[name].password_hash = password  # the demo's one password
    session.flush()
    advisory = issuing.issue(session, coordinator, AdvisorySpec(
        title="Patch the edge VPN gateways", severity=Severity.CRITICAL, tlp=Tlp.AMBER,
        body=DEMO_BODY, groups=(DEMO_GROUP,), ack_within=timedelta(hours=1),
        status_within=timedelta(hours=24)))
    responses.acknowledge(session, advisory, analysts["Ministry of Finance"])
    responses.report_status(session, advisory, analysts["Ministry of Health"], "investigating",
                            "Checking 12 gateways")
    session.commit()
