"""Agreement pages (issue 17): partners see their agreements with parties, collections, grants
and the policy in words; admins create and end them through CSRF-protected forms."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.agreements import Agreement
from accord.models.audit import AuditEvent
from accord.models.users import Role
from accord.services import agreements
from tests.accord.agreement_world import World, build
from tests.factories import make_user
from tests.web.helpers import csrf_from, sign_in


@pytest.fixture
def world(session: Session, clock: ManualClock) -> World:
    return build(session)


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, username)
    return client


def test_partner_sees_its_agreement_and_no_other(app: Flask, session: Session,
                                                 world: World) -> None:
    agreements.create_agreement(session, "Not yours", "CERT-VN", "x", ["CERT-CL"])
    session.commit()
    web = _signed_in(app, "kristjan")
    listing = web.get("/agreements/").get_data(as_text=True)
    assert "Phishing response" in listing and "Not yours" not in listing
    assert "New agreement" not in listing
    page = web.get(f"/agreements/{world.agreement.id}").get_data(as_text=True)
    for expected in ("Incident response to phishing only", "CERT-EE", "Phishing",
                     "act on it inside their own organisation only", "TLP:AMBER",
                     "90 days after it is shared"):
        assert expected in page
    assert "Oversight report" not in page
    hidden = session.scalar(select(Agreement.id).where(Agreement.title == "Not yours"))
    assert web.get(f"/agreements/{hidden}").status_code == 404
    assert web.get(f"/agreements/{world.agreement.id}/report").status_code == 404
    assert web.post(f"/agreements/{world.agreement.id}/end",
                    data={"csrf_token": csrf_from(web.get("/agreements/"))}).status_code == 403


def test_admin_creates_and_ends_an_agreement(app: Flask, session: Session, world: World) -> None:
    web = _signed_in(app, "boss")
    form = web.get("/agreements/")
    token = csrf_from(form)
    fields = {"title": "Ransomware", "owner_team": "CERT-VN", "purpose": "Victim notification",
              "legal_basis": "Art. 29", "partners": ["CERT-EE", "CERT-CL"],
              "retention_days": "30", "permitted_actions": "contact-for-instruction",
              "attribution": "must-not"}
    assert web.post("/agreements/", data=fields).status_code == 400  # no CSRF token
    made = web.post("/agreements/", data={**fields, "csrf_token": token})
    assert made.status_code == 303
    agreement = agreements.get_agreement(session, "Ransomware")
    assert [t.name for t in agreement.parties] == ["CERT-CL", "CERT-EE"]
    assert agreement.default_policy == {"permitted_actions": "contact-for-instruction",
                                        "attribution": "must-not"}
    again = web.post("/agreements/", data={**fields, "csrf_token": token}, follow_redirects=True)
    assert "already exists" in again.get_data(as_text=True)
    bad = web.post("/agreements/", data={**fields, "title": "R2", "ends_at": "2001-01-01",
                                         "csrf_token": token}, follow_redirects=True)
    assert "must end after it starts" in bad.get_data(as_text=True)
    ended = web.post(f"/agreements/{agreement.id}/end", data={"csrf_token": token},
                     follow_redirects=True)
    assert "its grants no longer work" in ended.get_data(as_text=True)
    session.expire_all()
    assert agreements.status(agreements.get_agreement(session, "Ransomware")) == "ended"
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "agreement.end"))
    audit_page = web.get("/admin/audit/?action=agreement.end").get_data(as_text=True)
    assert f'href="/agreements/{agreement.id}" title="{agreement.id}">Ransomware</a>' in audit_page


def test_collection_admin_page_makes_collections_under_an_agreement(
        app: Flask, session: Session, world: World) -> None:
    make_user(session, world.owner, Role.ADMIN, "root")
    web = _signed_in(app, "root")
    token = csrf_from(web.get("/admin/collections"))
    web.post("/admin/collections", data={"title": "Under it", "owner": "CERT-VN",
                                         "agreement": str(world.agreement.id),
                                         "csrf_token": token})
    page = web.get("/admin/collections").get_data(as_text=True)
    assert "Made under agreement" in page and "Under it" in page
    refused = web.post("/admin/collections", data={"title": "Theirs", "owner": "CERT-CL",
                                                   "agreement": str(world.agreement.id),
                                                   "csrf_token": token}, follow_redirects=True)
    assert "is not a party" in refused.get_data(as_text=True)
