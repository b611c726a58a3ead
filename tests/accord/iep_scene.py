"""A hub with IEP 2.0-marked objects and one probe per read endpoint (for the IEP read tests).

``CERT-SOURCE`` shares into a collection owned by the hub team: an indicator under a policy
with an ``end_date`` two days ahead and ``attribution: must-not``, and a plain one. Readers
are the source team's analyst and a partner's analyst and service account. Each probe asks
one read endpoint (over the Flask test client, through routing, authentication and the real
templates) and returns what it served: the ids, or a count, and the body text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role
from accord.sharing.ingest import Author, add_objects
from accord.tlp import Tlp
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.wire import bearer
from tests.web.helpers import sign_in

TAXII = "application/taxii+json;version=2.1"
MARKING = "marking-definition--3b0e8d7c-6f1a-4c55-8e2d-9a1b2c3d4e5f"
EXTENSION = "extension-definition--0f5dd1b8-7d1b-4d0c-8a4e-6b1d2b3f0c11"
SOURCE_TEAM = "CERT-SOURCE"
LINK = re.compile(r"/objects/((?:indicator|marking-definition)--[0-9a-f-]{36})")


def iep_marking(**statements: Any) -> dict[str, Any]:
    """An IEP 2.0 marking-definition in FIRST's STIX 2.1 extension form."""
    return {"type": "marking-definition", "spec_version": "2.1", "id": MARKING,
            "created": "2026-01-01T00:00:00.000Z", "name": "Incident response only",
            "extensions": {EXTENSION: {"extension_type": "property-extension",
                                       "iep_version": "2.0", **statements}}}


def iep_indicator(value: str, *, marked: bool, modified: str = "2026-11-01T08:00:00.000Z",
                  stix_id: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1",
        "id": stix_id or f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T08:00:00.000Z", "modified": modified,
        "name": f"Host {value}", "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix", "valid_from": "2026-11-01T08:00:00Z"}
    if marked:
        obj["object_marking_refs"] = [MARKING]
    return obj


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Reader:
    """One reader: its team, a token for TAXII and the API, and a signed-in web client."""

    name: str
    team: Team
    secret: str
    web: FlaskClient  # signed in, except for the service account (TAXII and API only)


@dataclass
class Scene:
    app: Flask
    collection: Collection
    source: Team
    readers: dict[str, Reader]
    hidden: str  # expires at ``end``, source hidden
    plain: str
    end: datetime
    extra: dict[str, str] = field(default_factory=dict)

    def share(self, session: Session, objects: list[dict[str, Any]]) -> None:
        user = self.readers["source"]
        result = add_objects(session, self.collection, objects, Author(user.team.id))
        assert result.failures == []
        session.commit()


def build(app: Flask, session: Session, end_in: timedelta = timedelta(days=2),
          with_plain: bool = True) -> Scene:
    hub = make_team(session, "CERT-HUB")
    source = make_team(session, SOURCE_TEAM)
    partner = make_team(session, "CERT-PARTNER")
    collection = make_collection(session, hub, "Shared under IEP")
    make_grant(session, collection, source, read=True, write=True, max_tlp=Tlp.AMBER)
    make_grant(session, collection, partner, read=True, max_tlp=Tlp.AMBER)
    readers: dict[str, Reader] = {}
    for name, team, role in (("source", source, Role.ANALYST),
                             ("partner", partner, Role.ANALYST),
                             ("partner service", partner, Role.SERVICE)):
        user = make_user(session, team, role, username=f"{name.replace(' ', '-')}-user")
        _, secret = make_token(session, user)
        web = app.test_client()
        if role != Role.SERVICE:
            assert sign_in(web, user.username).status_code == 302
        readers[name] = Reader(name, team, secret, web)
    end = utcnow() + end_in
    hidden = {**iep_indicator("203.0.113.1", marked=True), "created_by_ref": source.identity_id}
    plain = iep_indicator("203.0.113.2", marked=False)
    scene = Scene(app, collection, source, readers, hidden["id"], plain["id"], end)
    # The policy is published by the hub team (a marking the source shared would name it).
    marking = iep_marking(attribution="must-not", unmodified_resale="must-not",
                          affected_party_notifications="must-not", encrypt_in_transit="must",
                          permitted_actions="internally-visible-actions", end_date=stamp(end))
    assert add_objects(session, collection, [marking], Author(hub.id)).failures == []
    scene.share(session, [hidden, plain] if with_plain else [hidden])
    return scene


@dataclass
class Seen:
    """What one endpoint served to one reader."""

    ids: set[str]
    text: str
    count: int | None = None


def _taxii(reader: Reader, path: str) -> Any:
    # Over TLS: the scene's policy says encrypt_in_transit: must, and automation never gets
    # such a version over plain http (docs/sharing-rules.md "IEP 2.0 on outbound copies").
    return reader.web.get(path, base_url="https://localhost",
                          headers={"Authorization": bearer(reader.secret), "Accept": TAXII})


def _ids(response: Any, key: str = "objects") -> set[str]:
    if response.status_code != 200 or not response.data:
        return set()
    return {item["id"] for item in (response.get_json() or {}).get(key, [])}


Probe = Callable[[Scene, Reader, str], Seen]


def taxii_objects(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    response = _taxii(reader, f"/taxii2/api/collections/{scene.collection.id}/objects/")
    return Seen(_ids(response), response.get_data(as_text=True))


def taxii_object(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    response = _taxii(reader, f"/taxii2/api/collections/{scene.collection.id}/objects/"
                              f"{stix_id}/")
    return Seen(_ids(response), response.get_data(as_text=True))


def taxii_versions(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    response = _taxii(reader, f"/taxii2/api/collections/{scene.collection.id}/objects/"
                              f"{stix_id}/versions/")
    body = response.get_json() if response.status_code == 200 else {}
    return Seen({stix_id} if body and body.get("versions") else set(),
                response.get_data(as_text=True))


def taxii_manifest(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    response = _taxii(reader, f"/taxii2/api/collections/{scene.collection.id}/manifest/")
    return Seen(_ids(response), response.get_data(as_text=True))


def api_search(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    response = _taxii(reader, f"/api/v1/collections/{scene.collection.id}/objects")
    return Seen(_ids(response), response.get_data(as_text=True))


def api_detail(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    response = _taxii(reader, f"/api/v1/collections/{scene.collection.id}/objects/{stix_id}")
    return Seen({stix_id} if response.status_code == 200 else set(),
                response.get_data(as_text=True))


def _page(reader: Reader, path: str) -> tuple[int, str]:
    response = reader.web.get(path)
    return response.status_code, response.get_data(as_text=True)


def web_browse(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    _, text = _page(reader, f"/collections/{scene.collection.id}/")
    return Seen(set(LINK.findall(text)), text)


def web_object(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    status, text = _page(reader, f"/collections/{scene.collection.id}/objects/{stix_id}")
    return Seen({stix_id} if status == 200 else set(), text)


def web_collections(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    _, text = _page(reader, "/collections/")
    found = re.search(rf'data-count="{scene.collection.id}">(\d+)<', text)
    assert found, "the collection list shows no count for the collection"
    return Seen(set(), text, int(found.group(1)))


def web_dashboard(scene: Scene, reader: Reader, stix_id: str) -> Seen:
    _, text = _page(reader, "/")
    found = re.search(rf'data-recent="{scene.collection.id}">(\d+)<', text)
    assert found, "the dashboard shows no count for the collection"
    return Seen(set(LINK.findall(text)), text, int(found.group(1)))
