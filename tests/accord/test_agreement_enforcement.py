"""A grant made under a sharing agreement works only while the agreement is in force and only
for its parties (issue 17): TAXII, the JSON API, the web pages and exports all stop at once when
it ends, moved there with the test clock; the collection owner keeps its access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord import authz
from accord.clock import ManualClock
from accord.errors import BadRequest, Conflict
from accord.models.users import Role
from accord.services import agreements, collections
from accord.tlp import Tlp
from tests.accord.agreement_world import World, build
from tests.factories import json_of, make_collection, make_token, make_user
from tests.taxii.wire import TAXII, bearer
from tests.web.helpers import sign_in

LASTS = timedelta(minutes=5)


@pytest.fixture
def world(session: Session, clock: ManualClock) -> World:
    return build(session, lasts=LASTS)


def _taxii(client: FlaskClient, world: World, user: str, what: str = "objects/") -> int:
    response = client.get(f"/taxii2/api/collections/{world.collection.id}/{what}",
                          headers={"Accept": TAXII, "Authorization": bearer(world.tokens[user])})
    return response.status_code


def _listed(client: FlaskClient, world: World, user: str) -> bool:
    response = client.get("/taxii2/api/collections/",
                          headers={"Accept": TAXII, "Authorization": bearer(world.tokens[user])})
    assert response.status_code == 200
    return str(world.collection.id) in response.get_data(as_text=True)


def _api(client: FlaskClient, world: World, user: str) -> dict[str, object]:
    response = client.get(f"/api/v1/agreements/{world.agreement.id}",
                          headers={"Authorization": bearer(world.tokens[user])})
    assert response.status_code == 200, response.get_data(as_text=True)
    return json_of(response)


def _export(app: Flask, user: str) -> str:
    """``accord export`` as ``user``: the bundle, or the one-line refusal."""
    result = app.test_cli_runner().invoke(args=["export", "phishing", "--as", user, "-q"])
    return result.output


def test_every_read_path_stops_when_the_agreement_ends(app: Flask, client: FlaskClient,
                                                       session: Session, world: World,
                                                       clock: ManualClock) -> None:
    web = app.test_client()
    sign_in(web, "kristjan")
    page = f"/collections/{world.collection.id}/"
    assert _taxii(client, world, "kristjan") == 200
    assert _listed(client, world, "kristjan")
    assert _api(client, world, "kristjan")["your_access"] == [
        {"collection": "Phishing", "can_read": True, "can_write": False}]
    assert web.get(page).status_code == 200
    assert world.stix_id in _export(app, "kristjan")

    clock.advance(seconds=LASTS.total_seconds() + 1)

    assert _taxii(client, world, "kristjan") == 404
    assert _taxii(client, world, "kristjan", "manifest/") == 404
    assert not _listed(client, world, "kristjan")
    shown = _api(client, world, "kristjan")
    assert shown["status"] == "ended" and shown["your_access"] == []
    assert shown["grants"] == [{"collection": "Phishing", "team": "CERT-EE", "can_read": True,
                                "can_write": False, "max_tlp": "amber", "in_force": False}]
    assert web.get(page).status_code == 404
    assert "Phishing" not in web.get("/collections/").get_data(as_text=True)
    refused = _export(app, "kristjan")
    assert "may not read collection 'Phishing'" in refused and world.stix_id not in refused
    # The providing team owns the collection: the end of the agreement does not touch it.
    assert _taxii(client, world, "lan") == 200
    assert _listed(client, world, "lan")
    assert world.stix_id in _export(app, "lan")


def test_grant_works_only_inside_the_term_and_for_parties(session: Session, world: World,
                                                          clock: ManualClock) -> None:
    partner, collection = world.partner, world.collection
    assert authz.grant_for(session, partner.id, collection.id) is not None
    # A partner dropped from the agreement loses the grant at once.
    agreements.update_agreement(session, world.agreement.title, {"partners": ["CERT-CL"]})
    session.commit()
    assert authz.grant_for(session, partner.id, collection.id) is None
    assert authz.stored_grant(session, partner.id, collection.id) is not None
    agreements.update_agreement(session, world.agreement.title, {"partners": ["CERT-EE"]})
    # Not in force yet: a later start also stops it.
    agreements.update_agreement(session, world.agreement.title,
                                {"starts_at": (clock.now() + timedelta(minutes=1)).isoformat()})
    session.commit()
    assert authz.grant_for(session, partner.id, collection.id) is None
    clock.advance(seconds=61)
    assert authz.grant_for(session, partner.id, collection.id) is not None


def test_grants_under_an_agreement_are_checked_when_made(session: Session, world: World,
                                                         clock: ManualClock) -> None:
    with pytest.raises(BadRequest, match="CERT-CL.*not a party"):
        collections.grant(session, "phishing", "CERT-CL", True, False, Tlp.GREEN)
    session.rollback()
    other = agreements.create_agreement(session, "Other", "CERT-VN", "Testing", ["CERT-CL"])
    with pytest.raises(BadRequest, match="another agreement"):
        collections.grant(session, "phishing", "CERT-CL", True, False, Tlp.GREEN,
                          agreement=other.title)
    session.rollback()
    with pytest.raises(BadRequest, match="not a party"):
        collections.create_collection(session, "Theirs", "CERT-CL", agreement=world.agreement.title)
    session.rollback()
    # A grant under an agreement on a collection made under none ends with the agreement too.
    plain = make_collection(session, world.owner, "Plain", alias="plain")
    collections.grant(session, "plain", "CERT-EE", True, False, Tlp.GREEN,
                      agreement=world.agreement.title)
    session.commit()
    assert authz.grant_for(session, world.partner.id, plain.id) is not None
    clock.advance(seconds=LASTS.total_seconds() + 1)
    assert authz.grant_for(session, world.partner.id, plain.id) is None
    with pytest.raises(Conflict, match="ended"):
        collections.grant(session, "phishing", "CERT-EE", True, True, Tlp.AMBER)


def test_a_removed_partner_loses_its_grant_while_other_parties_keep_theirs(
        client: FlaskClient, session: Session, world: World) -> None:
    """Each grant is judged on its own team: another party's grant on the same collection
    does not keep a removed partner's grant working (every agreement subquery is correlated
    with the grant row being judged; PostgreSQL refused the uncorrelated form outright)."""
    partner, outsider, collection = world.partner, world.outsider, world.collection
    title = world.agreement.title
    agreements.update_agreement(session, title, {"partners": ["CERT-EE", "CERT-CL"]})
    collections.grant(session, str(collection.id), outsider.name, True, False, Tlp.AMBER)
    session.commit()
    assert authz.grant_for(session, outsider.id, collection.id) is not None
    agreements.update_agreement(session, title, {"partners": ["CERT-EE"]})
    session.commit()
    assert authz.grant_for(session, outsider.id, collection.id) is None
    assert authz.grant_for(session, partner.id, collection.id) is not None
    assert collection.id not in {shown.id for shown, _ in
                                 authz.visible_collections(session, outsider.id)}
    outsider_token = make_token(session, make_user(session, outsider, Role.ANALYST, "pablo"),
                                ("read",))[1]
    response = client.get(f"/taxii2/api/collections/{collection.id}/objects/",
                          headers={"Accept": TAXII, "Authorization": bearer(outsider_token)})
    assert response.status_code == 404
    assert _taxii(client, world, "kristjan") == 200
