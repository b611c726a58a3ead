"""Admin pages change teams, users, collections and grants through the services (issue 6)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.collections import Collection, CollectionGrant
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.tlp import Tlp
from tests.factories import make_team, make_user
from tests.web.helpers import csrf_from, sign_in


def _admin_client(app: Flask, session: Session) -> tuple[FlaskClient, str]:
    make_user(session, username="root", role=Role.ADMIN)
    client = app.test_client()
    sign_in(client, "root")
    return client, csrf_from(client.get("/admin/teams"))


def test_create_team_user_collection_and_grant(app: Flask, session: Session) -> None:
    client, csrf = _admin_client(app, session)
    response = client.post("/admin/teams", data={"name": "CERT-FR", "country_code": "fr",
                                                 "timezone": "Europe/Paris", "csrf_token": csrf},
                           follow_redirects=True)
    assert "Team CERT-FR created." in response.get_data(as_text=True)
    client.post("/admin/users", data={"username": "marie", "team": "CERT-FR", "role": "analyst",
                                      "password": "long-enough-pw", "csrf_token": csrf})
    client.post("/admin/collections", data={"title": "Shared IOCs", "owner": "CERT-FR",
                                            "kind": "sharing", "default_tlp": "green",
                                            "csrf_token": csrf})
    make_team(session, "CERT-DE", "DE")
    collection = session.scalar(select(Collection).where(Collection.title == "Shared IOCs"))
    assert collection is not None and collection.default_tlp == Tlp.GREEN
    client.post(f"/admin/collections/{collection.id}/grants",
                data={"team": "CERT-DE", "can_read": "on", "max_tlp": "green",
                      "csrf_token": csrf})
    team = session.scalar(select(Team).where(Team.name == "CERT-DE"))
    assert team is not None
    grant = session.scalar(select(CollectionGrant).where(CollectionGrant.team_id == team.id))
    assert grant is not None and grant.max_tlp == Tlp.GREEN and not grant.can_write
    user = session.scalar(select(User).where(User.username == "marie"))
    assert user is not None and user.team.name == "CERT-FR"
    page = client.get("/admin/collections").get_data(as_text=True)
    assert "CERT-DE" in page and "TLP:GREEN" in page
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_name == "root")))
    assert {"team.create", "user.create", "collection.create", "collection.grant"} <= actions


def test_service_errors_are_shown_not_500(app: Flask, session: Session) -> None:
    client, csrf = _admin_client(app, session)
    response = client.post("/admin/teams", data={"name": "Bad", "country_code": "France",
                                                 "csrf_token": csrf}, follow_redirects=True)
    assert response.status_code == 200
    assert "is not a two-letter ISO 3166-1 code" in response.get_data(as_text=True)
    assert session.scalar(select(Team).where(Team.name == "Bad")) is None


def test_audit_log_filters_and_pages(app: Flask, session: Session) -> None:
    client, _csrf = _admin_client(app, session)
    for number in range(54):  # plus the admin's own team: 55
        make_team(session, f"CERT {number:02d}", "VN")
    first = client.get("/admin/audit/?action=team.create").get_data(as_text=True)
    assert "55 events; page 1 of 2." in first
    second = client.get("/admin/audit/?action=team.create&page=2").get_data(as_text=True)
    assert second.count("<code>team.create</code>") == 5
    by_user = client.get("/admin/audit/?user=root").get_data(as_text=True)
    assert "auth.login" in by_user and "team.create" not in by_user
    bad = client.get("/admin/audit/?since=yesterday", headers={"Accept": "text/html"})
    assert bad.status_code == 400
    assert "since: &#39;yesterday&#39; is not a date" in bad.get_data(as_text=True)
