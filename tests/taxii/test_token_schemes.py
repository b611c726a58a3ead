"""Every ``Authorization`` scheme TAXII clients send ends in the same token check, with the
same scopes, expiry, revocation, network and failure limits (issue 19): ``Bearer``,
``Token`` (taxii2-client's ``TokenAuth``), Basic with the token as the password."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.users import Role
from accord.services import tokens
from tests.factories import make_collection, make_team, make_token, make_user
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import TAXII


def raw_basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


@dataclass
class Tokens:
    read_write: str
    read_write_id: str
    read_only: str
    collection: str


@pytest.fixture
def issued(session: Session) -> Tokens:
    team = make_team(session, "CERT-VN")
    lan = make_user(session, team, Role.SERVICE, username="lan", password=None)
    make_user(session, team, Role.SERVICE, username="kris", password=None)
    collection = make_collection(session, team, "Partner indicators")
    token, secret = make_token(session, lan, ("read", "write"))
    return Tokens(secret, str(token.id), make_token(session, lan, ("read",))[1],
                  str(collection.id))


def forms(secret: str) -> dict[str, str]:
    """The ``Authorization`` values that carry one token, by how clients send them."""
    return {"bearer": f"Bearer {secret}", "token": f"Token {secret}",
            "token-lowercase": f"token {secret}", "basic-owner": raw_basic(f"lan:{secret}"),
            "basic-no-username": raw_basic(f":{secret}")}


def get(client: FlaskClient, authorization: str, path: str = "collections/",
        **environ: str) -> int:
    return client.get(f"/taxii2/api/{path}", environ_base=environ,
                      headers={"Accept": TAXII, "Authorization": authorization}).status_code


def post(client: FlaskClient, authorization: str, collection: str) -> int:
    return client.post(f"/taxii2/api/collections/{collection}/objects/",
                       data=json.dumps(envelope(indicator())),
                       headers={"Accept": TAXII, "Content-Type": TAXII,
                                "Authorization": authorization}).status_code


@pytest.mark.parametrize("form", sorted(forms("x")))
def test_every_form_carries_the_token_and_its_scopes(
        client: FlaskClient, issued: Tokens, form: str) -> None:
    assert get(client, forms(issued.read_write)[form]) == 200
    assert post(client, forms(issued.read_write)[form], issued.collection) == 202
    assert get(client, forms(issued.read_only)[form]) == 200
    assert post(client, forms(issued.read_only)[form], issued.collection) == 403


@pytest.mark.parametrize("form", sorted(forms("x")))
def test_a_revoked_or_restricted_token_fails_in_every_form(
        client: FlaskClient, session: Session, issued: Tokens, form: str) -> None:
    lan = make_user(session, make_team(session, "CERT-EE"), Role.SERVICE, "lan2", None)
    _, fenced = make_token(session, lan, ("read",), allowed_networks=["192.0.2.0/24"])
    assert get(client, forms(fenced)[form].replace("lan:", "lan2:"),
               REMOTE_ADDR="198.51.100.1") == 401
    tokens.revoke_token(session, issued.read_write_id)
    session.commit()
    assert get(client, forms(issued.read_write)[form]) == 401


@pytest.mark.parametrize("authorization", [
    raw_basic("kris:{token}"),        # a token presented as another user's password
    raw_basic(":not-a-token-password"),
    "Token ",
    "Digest username=lan",
])
def test_what_no_form_accepts(client: FlaskClient, issued: Tokens, authorization: str) -> None:
    response = client.get("/taxii2/api/collections/", headers={
        "Accept": TAXII, "Authorization": authorization.format(token=issued.read_write)})
    assert response.status_code == 401 and response.content_type == TAXII
    assert issued.read_write not in response.get_data(as_text=True)


def test_unknown_scheme_names_the_accepted_ones(client: FlaskClient, issued: Tokens) -> None:
    response = client.get("/taxii2/", headers={"Accept": TAXII, "Authorization": "Digest x"})
    assert "Basic, Bearer or Token" in response.get_json(force=True)["description"]


def test_failures_in_the_token_scheme_count_toward_the_same_limit(
        app: Flask, client: FlaskClient, session: Session, issued: Tokens) -> None:
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 3
    wrong = "acd_" + "x" * 40
    codes = [get(client, f"Token {wrong}") for _ in range(3)]
    assert codes == [401, 401, 401]
    assert get(client, f"Token {issued.read_write}") == 429
    assert get(client, f"Bearer {issued.read_write}") == 429
    dumped = repr([(e.details, e.actor_name) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.failed"))])
    assert wrong not in dumped
