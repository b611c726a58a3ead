"""The ``admin`` token scope is checked for every admin action (issue 12): an admin's read or
write token has no admin rights (feeds API, exercise control, deleting another team's object)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.models.users import Role
from accord.tlp import Tlp
from tests.accord.test_auth import basic, bearer
from tests.factories import (
    PASSWORD,
    json_of,
    make_collection,
    make_grant,
    make_team,
    make_token,
    make_user,
)
from tests.taxii.conftest import envelope, indicator

TAXII = "application/taxii+json;version=2.1"
PUSH_FEED = {"name": "leak", "kind": "taxii21-push", "collection": "Shared",
             "partner_team": "Baltic CERT",
             "settings": {"url": "https://attacker.example/taxii2/api/",
                          "collection": "91a7b528-80eb-42ed-a74d-c6fbd5a26116"}}


@pytest.fixture
def admin_tokens(session: Session) -> dict[str, str]:
    """An admin of Lotus CERT with a token per scope set."""
    lotus = make_team(session, "Lotus CERT")
    make_team(session, "Baltic CERT", "EE")
    admin = make_user(session, lotus, Role.ADMIN, username="root")
    make_collection(session, lotus, "Shared")
    found = {}
    for scopes in (("write",), ("read",), ("read", "write"), ("admin",)):
        found["+".join(scopes)] = make_token(session, admin, scopes)[1]
    return found


def test_a_write_token_cannot_create_a_push_feed(client: FlaskClient,
                                                 admin_tokens: dict[str, str]) -> None:
    refused = client.post("/api/v1/feeds", json=PUSH_FEED,
                          headers=bearer(admin_tokens["write"]))
    assert refused.status_code == 403
    assert "admin" in json_of(refused)["message"]
    assert client.get("/api/v1/feeds", headers=bearer(admin_tokens["read+write"])
                      ).status_code == 403
    assert client.get("/api/v1/feeds", headers=bearer(admin_tokens["admin"])).json == {
        "feeds": []}


def test_the_admin_scope_and_a_password_may_manage_feeds(client: FlaskClient,
                                                         admin_tokens: dict[str, str]) -> None:
    created = client.post("/api/v1/feeds", json=PUSH_FEED, headers=bearer(admin_tokens["admin"]))
    assert created.status_code == 201, created.json
    listed = client.get("/api/v1/feeds", headers=basic("root", PASSWORD))
    assert [feed["name"] for feed in json_of(listed)["feeds"]] == ["leak"]


def test_exercise_control_by_an_admin_needs_the_admin_scope(
        client: FlaskClient, admin_tokens: dict[str, str]) -> None:
    refused = client.post("/api/v1/exercises", json={}, headers=bearer(admin_tokens["write"]))
    assert refused.status_code == 403 and "admin" in json_of(refused)["message"]
    allowed = client.post("/api/v1/exercises", json={}, headers=bearer(admin_tokens["admin"]))
    assert allowed.status_code == 400  # past the role check, on to the missing fields


def _post(client: FlaskClient, collection_id: str, headers: dict[str, str],
          objects: dict[str, Any]) -> None:
    response = client.post(f"/taxii2/api/collections/{collection_id}/objects/", json=objects,
                           headers={**headers, "Accept": TAXII, "Content-Type": TAXII})
    assert response.status_code == 202 and json_of(response)["success_count"] == 1, response.json


def test_deleting_another_teams_object_needs_the_admin_scope(client: FlaskClient,
                                                             session: Session) -> None:
    lotus = make_team(session, "Lotus CERT")
    baltic = make_team(session, "Baltic CERT", "EE")
    admin = make_user(session, lotus, Role.ADMIN, username="root")
    analyst = make_user(session, baltic, Role.ANALYST, username="kris")
    collection = make_collection(session, lotus, "Shared")
    for team in (lotus, baltic):
        make_grant(session, collection, team, read=True, write=True, max_tlp=Tlp.AMBER)
    shared = indicator(tlp=Tlp.GREEN)
    _post(client, str(collection.id), basic(analyst.username, PASSWORD), envelope(shared))
    url = f"/taxii2/api/collections/{collection.id}/objects/{shared['id']}/"
    _, read_write = make_token(session, admin, ("read", "write"))
    _, full = make_token(session, admin, ("admin",))
    refused = client.delete(url, headers={**bearer(read_write), "Accept": TAXII})
    assert refused.status_code == 403
    deleted = client.delete(url, headers={**bearer(full), "Accept": TAXII})
    assert deleted.status_code == 200
