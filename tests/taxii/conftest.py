"""TAXII fixtures: partner teams, their users, a shared collection and STIX object builders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session
from taxii2client.v21 import ApiRoot, Collection, Server

from accord.models.collections import Collection as CollectionRow
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.tlp import Tlp, marking_ref
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_collection, make_grant, make_team, make_user


@dataclass
class Hub:
    """Two partner teams sharing one collection on a live hub."""

    url: str
    owner: Team
    partner: Team
    analyst: User
    partner_analyst: User
    collection: CollectionRow

    @property
    def root_url(self) -> str:
        return f"{self.url}/taxii2/api/"

    def collection_url(self, collection: CollectionRow | None = None) -> str:
        return f"{self.root_url}collections/{(collection or self.collection).id}/"

    def client(self, user: User, collection: CollectionRow | None = None) -> Collection:
        """A taxii2-client Collection as ``user`` (HTTP Basic with the factory password)."""
        return Collection(self.collection_url(collection), user=user.username, password=PASSWORD)

    def server(self, user: User) -> Server:
        return Server(f"{self.url}/taxii2/", user=user.username, password=PASSWORD)

    def api_root(self, user: User) -> ApiRoot:
        return ApiRoot(self.root_url, user=user.username, password=PASSWORD)


@pytest.fixture
def hub(live_server: LiveServer, session: Session) -> Hub:
    owner = make_team(session, "CERT-VN", "VN")
    partner = make_team(session, "CERT-EE", "EE")
    analyst = make_user(session, owner, Role.ANALYST, username="lan")
    partner_analyst = make_user(session, partner, Role.ANALYST, username="kristjan")
    collection = make_collection(session, owner, "Partner indicators", allows_red=True)
    make_grant(session, collection, owner, read=True, write=True, max_tlp=Tlp.RED)
    make_grant(session, collection, partner, read=True, write=True, max_tlp=Tlp.AMBER)
    return Hub(live_server.url, owner, partner, analyst, partner_analyst, collection)


def indicator(value: str = "198.51.100.7", tlp: Tlp | None = None, **extra: Any
              ) -> dict[str, Any]:
    """A valid STIX 2.1 indicator for an IPv4 address, optionally TLP-marked."""
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T08:00:00.000Z", "modified": "2026-11-01T08:00:00.000Z",
        "name": f"Malicious host {value}", "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix", "valid_from": "2026-11-01T08:00:00Z",
    }
    if tlp is not None:
        obj["object_marking_refs"] = [marking_ref(tlp)]
    obj.update(extra)
    return obj


def envelope(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"objects": list(objects)}
