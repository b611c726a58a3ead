"""Audit gaps closed (issue 12): web refusals, 429s, dashboard reads, the collections lists and
TAXII status reads each leave one row with who, team, what, when and from where."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.users import User
from accord.tlp import Tlp
from tests.accord.test_admin_scope import TAXII, _post
from tests.accord.test_auth import basic
from tests.factories import PASSWORD, json_of, make_collection, make_grant, make_team, make_user
from tests.taxii.conftest import envelope, indicator
from tests.web.helpers import csrf_from, sign_in

PARTNER_ADDRESS = {"REMOTE_ADDR": "198.51.100.23"}


@dataclass
class Sharing:
    owner: User
    partner: User
    shared: Collection
    hidden: Collection
    amber_id: str


@pytest.fixture
def sharing(client: FlaskClient, session: Session) -> Sharing:
    """Lotus shares an AMBER indicator; Baltic may read up to GREEN and may not write; a second
    collection has no grant for Baltic at all."""
    lotus, baltic = make_team(session, "Lotus CERT"), make_team(session, "Baltic CERT", "EE")
    owner = make_user(session, lotus, username="lan")
    partner = make_user(session, baltic, username="kris")
    shared = make_collection(session, lotus, "Shared")
    hidden = make_collection(session, lotus, "Lotus only")
    make_grant(session, shared, lotus, read=True, write=True, max_tlp=Tlp.AMBER_STRICT)
    make_grant(session, hidden, lotus, read=True, write=True)
    make_grant(session, shared, baltic, read=True, write=False, max_tlp=Tlp.GREEN)
    amber = indicator(tlp=Tlp.AMBER)
    _post(client, str(shared.id), basic("lan", PASSWORD), envelope(amber))
    return Sharing(owner, partner, shared, hidden, amber["id"])


def rows(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def assert_who(event: AuditEvent, user: User, address: str) -> None:
    assert (event.actor_id, event.actor_name, event.team_id, event.team_name) == (
        user.id, user.username, user.team_id, user.team.name)
    assert event.source_address == address and event.occurred_at is not None


def test_web_refusals_are_audited(client: FlaskClient, session: Session,
                                  sharing: Sharing) -> None:
    assert sign_in(client, "kris").status_code == 302
    hidden_object = f"/collections/{sharing.shared.id}/objects/{sharing.amber_id}"
    assert client.get(hidden_object, environ_base=PARTNER_ADDRESS).status_code == 404
    assert client.get(f"/collections/{sharing.hidden.id}/",
                      environ_base=PARTNER_ADDRESS).status_code == 404
    token = csrf_from(client.get("/share/"))
    shared = client.post("/share/indicator", environ_base=PARTNER_ADDRESS, data={
        "csrf_token": token, "collection": str(sharing.shared.id), "type": "ipv4-addr",
        "value": "203.0.113.9", "tlp": "green"})
    assert shared.status_code == 403
    refused = rows(session, "web.refused")
    assert [(e.target_type, e.target_id, e.details["status"]) for e in refused] == [
        ("collection", str(sharing.shared.id), 404),
        ("collection", str(sharing.hidden.id), 404),
        ("collection", str(sharing.shared.id), 403)]
    assert refused[0].details["path"] == hidden_object
    for event in refused:
        assert_who(event, sharing.partner, "198.51.100.23")
        assert event.outcome == "failure"


def test_dashboard_and_collections_list_reads_are_audited(client: FlaskClient,
                                                          session: Session,
                                                          sharing: Sharing) -> None:
    assert sign_in(client, "kris").status_code == 302
    assert client.get("/", environ_base=PARTNER_ADDRESS).status_code == 200
    assert client.get("/collections/", environ_base=PARTNER_ADDRESS).status_code == 200
    (dashboard,) = rows(session, "web.read.dashboard")
    (listing,) = rows(session, "web.read.collections")
    assert_who(dashboard, sharing.partner, "198.51.100.23")
    assert_who(listing, sharing.partner, "198.51.100.23")
    assert dashboard.details["collections"] == 1 and listing.details["collections"] == 1
    # Lotus's own dashboard shows nothing of partners, but is audited all the same.
    owner_browser = client.application.test_client()
    assert sign_in(owner_browser, sharing.owner.username).status_code == 302
    owner_browser.get("/")
    assert len(rows(session, "web.read.dashboard")) == 2


def test_taxii_collections_list_and_status_reads_are_audited(client: FlaskClient,
                                                             session: Session,
                                                             sharing: Sharing) -> None:
    headers = {**basic("lan", PASSWORD), "Accept": TAXII}
    listed = client.get("/taxii2/api/collections/", headers=headers,
                        environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert len(json_of(listed)["collections"]) == 2
    posted = client.post(f"/taxii2/api/collections/{sharing.shared.id}/objects/",
                         json=envelope(indicator(tlp=Tlp.GREEN)),
                         headers={**headers, "Content-Type": TAXII})
    status_url = f"/taxii2/api/status/{json_of(posted)['id']}/"
    assert client.get(status_url, headers=headers,
                      environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
    other = {**basic("kris", PASSWORD), "Accept": TAXII}
    assert client.get(status_url, headers=other).status_code == 404
    (listing,) = rows(session, "taxii.read.collections")
    assert listing.details["collections"] == 2
    assert_who(listing, sharing.owner, "192.0.2.10")
    (status,) = rows(session, "taxii.read.status")
    assert status.target_id == json_of(posted)["id"]
    assert_who(status, sharing.owner, "192.0.2.10")
    (probe,) = rows(session, "taxii.refused")
    assert (probe.actor_name, probe.target_type, probe.target_id, probe.details["status"]) == (
        "kris", "taxii_status", json_of(posted)["id"], 404)


def test_429s_are_audited(app: Flask, client: FlaskClient, session: Session) -> None:
    app.config["LOGIN_FAILURES_PER_USER"] = 1
    user = make_user(session, username="lan")
    token = csrf_from(client.get("/login"))
    for expected in (401, 429):
        page = client.post("/login", data={"username": "lan", "password": "wrong",
                                           "csrf_token": token}, environ_base=PARTNER_ADDRESS)
        assert page.status_code == expected
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD),
                      environ_base=PARTNER_ADDRESS).status_code == 429
    throttled = rows(session, "auth.throttled")
    assert len(throttled) == 2
    for event in throttled:
        assert_who(event, user, "198.51.100.23")
        assert event.details["retry_after"] >= 1
