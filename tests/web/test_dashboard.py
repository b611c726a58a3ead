"""The dashboard shows only what the user's team may see (issue 6)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from accord.models.users import Role
from exercises.demo import seed_demo_exercise
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.web.helpers import sign_in


def test_dashboard_lists_only_own_collections_and_exercises(app: Flask, session: Session) -> None:
    lead = make_team(session, "Lotus CERT", "VN", timezone="Asia/Ho_Chi_Minh")
    north = make_team(session, "Baltic CERT", "EE", timezone="Europe/Tallinn")
    make_team(session, "Andes CERT", "CL", timezone="America/Santiago")
    outsider = make_team(session, "Outsider CERT", "FR", timezone="Europe/Paris")
    make_user(session, lead, Role.COORDINATOR, "coordinator")
    make_user(session, north, username="kristjan")
    make_user(session, outsider, username="pierre")
    shared = make_collection(session, lead, "Lotus shares")
    make_grant(session, shared, north, max_tlp="green")
    make_collection(session, lead, "Lotus private")
    seed_demo_exercise(session)

    client = app.test_client()
    sign_in(client, "kristjan")
    page = client.get("/").get_data(as_text=True)
    assert "Lotus shares" in page and "TLP:GREEN" in page
    assert "Lotus private" not in page
    assert "(demo)" in page and "EET" in page  # start shown in Tallinn time
    assert "Feed health" not in page

    other = app.test_client()
    sign_in(other, "pierre")
    page = other.get("/").get_data(as_text=True)
    assert "Lotus shares" not in page and "(demo)" not in page
    assert "No exercise scheduled for your team." in page


def test_admin_sees_feed_health_panel(app: Flask, session: Session) -> None:
    make_user(session, username="root", role=Role.ADMIN)
    client = app.test_client()
    sign_in(client, "root")
    page = client.get("/").get_data(as_text=True)
    assert "Feed health" in page and "No feeds configured." in page
