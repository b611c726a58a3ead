"""The demo hub has constituent teams and one advisory in progress, readable in the inbox."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.assembly.demo import DEMO_PASSWORD, seed_demo
from advisories.demo import DEMO_CONSTITUENTS
from advisories.models import Advisory, RecipientStatus
from tests.web.helpers import sign_in


def test_demo_has_constituents_and_an_advisory_in_progress(app: Flask,
                                                             session: Session) -> None:
    seed_demo(app)
    advisory = session.scalar(select(Advisory))
    assert advisory is not None and advisory.issuer_team.name == "Lotus CERT"
    rows = {r.team_name: r for r in advisory.recipients}
    assert set(rows) == {name for name, *_ in DEMO_CONSTITUENTS}
    assert rows["Ministry of Finance"].acknowledged_at is not None
    assert rows["Ministry of Health"].status == RecipientStatus.INVESTIGATING
    assert rows["Province North"].acknowledged_at is None
    client = app.test_client()
    assert sign_in(client, "north", DEMO_PASSWORD).status_code in (302, 303)
    inbox = client.get("/advisories/").get_data(as_text=True)
    assert advisory.ref in inbox and "not acknowledged" in inbox
