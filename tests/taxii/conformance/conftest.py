"""Conformance fixtures: one collection seen by callers with every kind of access (issue 3).

Teams: the owner (read+write), a reader (read-only grant), a writer (write-only grant) and a
stranger (no grant, but a collection of its own). Users of other roles and scoped tokens come
from the owner team, so each denial in sections 1.6.9 and 5.x has one caller that triggers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy.orm import Session

from accord import credentials
from accord.models.collections import Collection
from accord.models.users import Role, User
from accord.tlp import Tlp
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.wire import TAXII, Wire, basic


@dataclass
class Site:
    """A live hub with one shared collection and a caller for every access level."""

    url: str
    app: Flask
    collection: Collection
    foreign: Collection
    owner: User
    reader: User
    writer: User
    stranger: User
    observer: User
    evaluator: User
    read_token: str
    write_token: str

    @property
    def root(self) -> str:
        return f"{self.url}/taxii2/api/"

    def path(self, rest: str = "", collection: Collection | None = None) -> str:
        """A URL under ``collection`` (the shared one by default)."""
        return f"{self.root}collections/{(collection or self.collection).id}/{rest}"

    def wire(self, user: User | None = None, collection: Collection | None = None) -> Wire:
        """Plain TAXII HTTP as ``user`` (the owner's analyst by default)."""
        return Wire.with_password(self.url, collection or self.collection, user or self.owner)

    def call(self, method: str, url: str, user: User | None = None,
             authorization: str | None = None, **kwargs: Any) -> requests.Response:
        """One raw request with TAXII headers unless ``kwargs['headers']`` replaces them."""
        headers = {"Accept": TAXII,
                   "Authorization": authorization or basic((user or self.owner).username)}
        headers.update(kwargs.pop("headers", {}))
        headers = {key: value for key, value in headers.items() if value is not None}
        kwargs.setdefault("timeout", 30)
        return requests.request(method, url, headers=headers, **kwargs)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the lowest cost: these tests make hundreds of Basic requests."""
    monkeypatch.setattr(credentials, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def site(live_server: LiveServer, app: Flask, session: Session) -> Site:
    owner_team, reader_team = make_team(session, "CERT-PT"), make_team(session, "CERT-FI")
    writer_team, stranger_team = make_team(session, "CERT-IE"), make_team(session, "CERT-MT")
    collection = make_collection(session, owner_team, "Shared indicators", allows_red=True)
    foreign = make_collection(session, stranger_team, "Stranger's own collection")
    make_grant(session, collection, reader_team, read=True, write=False, max_tlp=Tlp.AMBER)
    make_grant(session, collection, writer_team, read=False, write=True, max_tlp=Tlp.AMBER)
    owner = make_user(session, owner_team, Role.ANALYST, username="ines")
    _, read_token = make_token(session, owner, scopes=("read",))
    _, write_token = make_token(session, owner, scopes=("write",))
    return Site(
        url=live_server.url, app=app, collection=collection, foreign=foreign, owner=owner,
        reader=make_user(session, reader_team, Role.ANALYST, username="aino"),
        writer=make_user(session, writer_team, Role.ANALYST, username="siobhan"),
        stranger=make_user(session, stranger_team, Role.ANALYST, username="joseph"),
        observer=make_user(session, owner_team, Role.OBSERVER, username="rui"),
        evaluator=make_user(session, owner_team, Role.EVALUATOR, username="marta"),
        read_token=read_token, write_token=write_token)


def assert_taxii_error(response: requests.Response, status: int) -> dict[str, Any]:
    """``status`` with a TAXII error resource (section 3.6.1) in the TAXII media type (3.1)."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"] == TAXII, response.headers["Content-Type"]
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("title"), str) and body["title"]
    assert body.get("http_status") == str(status)
    return body
