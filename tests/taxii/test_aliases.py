"""Collections addressed by ``alias`` in every TAXII URL that names a collection (TAXII 2.1
section 5.2; OpenTAXII serves them too), under the same access rules as the id (issue 19)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.errors import BadRequest
from accord.models.users import Role
from accord.services import lookup
from tests.factories import make_collection, make_team, make_token, make_user
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import TAXII, bearer

ALIAS = "partner-indicators"


@dataclass
class Callers:
    """A TAXII caller per user (Bearer tokens, so no password hashing slows the test)."""

    client: FlaskClient
    tokens: dict[str, str]

    def __call__(self, method: str, path: str, user: str = "lan", **kwargs: Any) -> Any:
        headers = {"Accept": TAXII, "Authorization": bearer(self.tokens[user])}
        if "data" in kwargs:
            headers["Content-Type"] = TAXII
        return self.client.open(f"/taxii2/api/collections/{path}", method=method,
                                headers=headers, **kwargs)


@pytest.fixture
def call(client: FlaskClient, session: Session) -> Callers:
    """``lan``'s team owns ``partner-indicators`` (and an aliased collection in another API
    root); ``mark``'s team has a private aliased collection of its own."""
    team = make_team(session, "CERT-VN")
    stranger = make_team(session, "CERT-MT")
    tokens = {name: make_token(session, make_user(session, home, Role.SERVICE, name, None))[1]
              for name, home in (("lan", team), ("mark", stranger))}
    make_collection(session, stranger, "Private", alias="stranger-private")
    make_collection(session, team, "Drills", alias="drill-feed", api_root="exercises")
    make_collection(session, team, "Partner indicators", alias=ALIAS)
    return Callers(client, tokens)


@pytest.fixture
def owned(call: Callers, session: Session) -> str:
    """The id of ``partner-indicators``."""
    return str(lookup.collection(session, ALIAS).id)


def test_every_collection_endpoint_takes_the_alias(call: Callers, owned: str) -> None:
    first = indicator("198.51.100.1")
    second = dict(first, modified="2026-11-02T08:00:00.000Z")
    for obj in (first, second):
        added = call("POST", f"{ALIAS}/objects/", data=json.dumps(envelope(obj)))
        assert added.status_code == 202 and added.get_json(force=True)["success_count"] == 1

    def same(rest: str) -> Any:
        by_alias = call("GET", f"{ALIAS}/{rest}")
        by_id = call("GET", f"{owned}/{rest}")
        assert by_alias.status_code == by_id.status_code == 200, by_alias.data
        assert by_alias.data == by_id.data
        return by_alias.get_json(force=True)

    assert same("")["id"] == owned and same("")["alias"] == ALIAS
    assert [o["id"] for o in same("objects/")["objects"]] == [first["id"]]
    assert same(f"objects/{first['id']}/")["objects"][0]["modified"] == second["modified"]
    assert len(same(f"objects/{first['id']}/versions/")["versions"]) == 2
    assert [m["id"] for m in same("manifest/")["objects"]] == [first["id"]]

    page = call("GET", f"{ALIAS}/objects/", query_string={"limit": "1",
                                                                  "match[version]": "all"})
    token = page.get_json(force=True)["next"]
    rest = call("GET", f"{owned}/objects/", query_string={"next": token,
                                                                  "match[version]": "all"})
    assert rest.status_code == 200  # a next token is the collection's, whichever name paged

    deleted = call("DELETE", f"{ALIAS}/objects/{first['id']}/")
    assert deleted.status_code == 200
    assert call("GET", f"{owned}/objects/").get_json(force=True) == {}


@pytest.mark.parametrize(("user", "path"), [
    ("lan", "stranger-private/"),          # another team's collection, no grant
    ("lan", "drill-feed/"),                # its own collection, but in another API root
    ("lan", "no-such-alias/objects/"),
    ("mark", f"{ALIAS}/manifest/"),
])
def test_an_alias_the_caller_may_not_reach_is_an_ordinary_404(
        call: Callers, owned: str, user: str, path: str) -> None:
    response = call("GET", path, user=user)
    assert response.status_code == 404 and response.content_type == TAXII
    assert "There is no collection" in response.get_json(force=True)["description"]


@pytest.mark.parametrize(("alias", "reason"), [
    ("0b7ef1a7-1f34-4a53-9e4b-9b4c2a6f3c11", "reads as a collection id"),
    ("0b7ef1a71f344a539e4b9b4c2a6f3c11", "reads as a collection id"),
    ("partner\n", "must be lowercase letters, digits and dashes"),
    ("Partner", "must be lowercase letters, digits and dashes"),
])
def test_aliases_that_cannot_stand_in_a_url_are_refused(
        app: Flask, session: Session, alias: str, reason: str) -> None:
    team = make_team(session, "CERT-VN")
    with pytest.raises(BadRequest, match=reason):
        make_collection(session, team, "Bad alias", alias=alias)
