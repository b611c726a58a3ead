"""The outbound copy stored at ingest (issue 15) is served byte for byte as the copy computed per
read: for every kind of object, with and without an IEP policy, in live and exercise
collections, on get objects, get an object and with ``next`` pages.

Each case is read twice by automation (a service account's token): once as stored, once with
``stix_objects.outbound_text`` emptied to NULL (the rows of a hub from before migration 0210,
computed per read exactly as before), and the two answers must be identical.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import Role
from accord.sharing.exercise_separation import EXERCISE_MARKING_ID
from accord.sharing.ingest import Author, add_objects
from accord.sharing.outbound import SAME_AS_DOCUMENT, outbound_document
from accord.tlp import Tlp, marking_ref
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.iepsamples import iep_marking, marked_indicator
from tests.taxii.wire import bearer

TAXII = "application/taxii+json;version=2.1"
TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
IEP = "marking-definition--6a1f3d0c-2b5e-4c7e-9b8d-0e2f4a6c8b1d"
HIDING = "marking-definition--7b2f4e1d-3c6f-4d8e-8c9e-1f3a5b7d9c2e"
PARTNER_AMBER = "marking-definition--0c8e2a4b-6d1f-4e3a-9b5c-7d9f1b3e5a70"
EE_IDENTITY = "identity--5c3e1a2b-4d6f-4e8a-9c1b-3d5f7a9b1c2e"


def _live_objects() -> list[dict[str, Any]]:
    """A matrix of what the outbound copy may have to state, or leave alone."""
    granular = marked_indicator(5, marking_ref(Tlp.GREEN))
    granular["granular_markings"] = [{"marking_ref": marking_ref(Tlp.AMBER),
                                      "selectors": ["description"]}]
    granular["description"] = "AMBER detail"
    escaped = marked_indicator(6)
    escaped["name"] = 'Tên độc hại "quoted" \\ back \u2028 line \u00e9 \U0001f600 \x7f'
    escaped["x_numbers"] = [1, 1.5, 1e16, -0.0, 12345678901234567890, True, None]
    return [
        marked_indicator(1),  # unmarked: the collection default and the origin are added
        marked_indicator(2, marking_ref(Tlp.GREEN), created_by=EE_IDENTITY),  # as stored
        marked_indicator(3, marking_ref(Tlp.AMBER)),  # the origin is added
        marked_indicator(4, TLP1_GREEN, created_by=EE_IDENTITY),  # a TLP 1.0 id states GREEN
        granular,  # a granular AMBER lifts the object to AMBER
        {"type": "marking-definition", "spec_version": "2.1", "id": PARTNER_AMBER,
         "created": "2026-01-01T00:00:00.000Z", "name": "TLP:AMBER",
         "definition_type": "statement", "definition": {"statement": "EE's own AMBER"}},
        marked_indicator(7, PARTNER_AMBER),  # a partner-defined TLP level is stated
        escaped,  # JSON text with escapes, non-ASCII, big and odd numbers
        {"type": "identity", "spec_version": "2.1", "id": EE_IDENTITY,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "name": "CERT-EE", "identity_class": "organization"},
        {"type": "ipv4-addr", "spec_version": "2.1",  # an SCO: no creator is added
         "id": f"ipv4-addr--{uuid.uuid4()}", "value": "198.51.100.99"},
        iep_marking(IEP, name="EE: analysis", permitted_actions="internally-visible-actions"),
        marked_indicator(8, IEP),  # an IEP policy: computed per read (its marking carried)
        iep_marking(HIDING, name="EE: unnamed", attribution="must-not"),
        marked_indicator(9, HIDING, marking_ref(Tlp.GREEN)),  # a hidden source: per read
    ]


def _share(session: Session, collection: Collection, team: Team,
           objects: list[dict[str, Any]]) -> None:
    result = add_objects(session, collection, objects, Author(team.id, None))
    assert not result.failures, result.failures
    session.commit()


def _reader(session: Session, team: Team, *collections: Collection) -> str:
    service = make_user(session, team, Role.SERVICE, username=f"sync-{uuid.uuid4().hex[:6]}")
    for collection in collections:
        make_grant(session, collection, team, read=True, write=True, max_tlp=Tlp.AMBER)
    return make_token(session, service)[1]


def _reads(client: FlaskClient, token: str, collection: Collection,
           ids: list[str]) -> list[bytes]:
    """Every automation answer of the collection: pages of 3 (with next), get an object."""
    headers = {"Accept": TAXII, "Authorization": bearer(token)}
    base = f"/taxii2/api/collections/{collection.id}"
    answers: list[bytes] = []
    url = f"{base}/objects/?limit=3"
    while True:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.data
        answers.append(response.data)
        body = response.get_json(force=True)
        if not body.get("more"):
            break
        url = f"{base}/objects/?limit=3&next={body['next']}"
    answers.append(client.get(f"{base}/objects/", headers=headers).data)
    for stix_id in ids:
        response = client.get(f"{base}/objects/{stix_id}/", headers=headers)
        assert response.status_code == 200, response.data
        answers.append(response.data)
    return answers


def _forget_stored(session: Session) -> None:
    session.execute(update(StixObject).values(outbound_text=None))
    session.commit()


def test_the_stored_outbound_copy_is_served_exactly_as_the_computed_one(
        app: Flask, client: FlaskClient, session: Session) -> None:
    owner, partner = make_team(session, "CERT-VN", "VN"), make_team(session, "CERT-EE", "EE")
    live = make_collection(session, owner, "Live", default_tlp=Tlp.GREEN)
    drill = make_collection(session, owner, "Drill", kind="exercise", default_tlp=Tlp.GREEN)
    make_grant(session, live, partner, read=True, write=True, max_tlp=Tlp.AMBER)
    make_grant(session, drill, partner, read=True, write=True, max_tlp=Tlp.AMBER)
    objects = _live_objects()
    _share(session, live, partner, objects)
    drill_objects = [marked_indicator(20), marked_indicator(21, EXERCISE_MARKING_ID)]
    _share(session, drill, partner, drill_objects)
    token = _reader(session, owner, live, drill)
    ids = [str(obj["id"]) for obj in objects]

    stored = {row.stix_id: row for row in session.execute(select(
        StixObject.stix_id, StixObject.outbound_text, StixObject.document, StixObject.tlp,
        StixObject.origin, StixObject.iep_policy, StixObject.collection_id))}
    for row in stored.values():
        if row.iep_policy or row.collection_id == drill.id:
            assert row.outbound_text is None, row.stix_id  # depends on the read
        else:
            assert row.outbound_text is not None, row.stix_id
            computed = outbound_document(row.document, row.tlp, row.origin)
            assert (row.outbound_text or row.document) == computed, row.stix_id
    texts = [stored[stix_id].outbound_text for stix_id in ids]
    assert SAME_AS_DOCUMENT in texts and any(texts), texts  # both forms are exercised

    live_reads = _reads(client, token, live, ids)
    drill_reads = _reads(client, token, drill, [str(obj["id"]) for obj in drill_objects])
    _forget_stored(session)
    assert _reads(client, token, live, ids) == live_reads
    assert _reads(client, token, drill, [str(obj["id"]) for obj in drill_objects]) == \
        drill_reads
    served = b"".join(live_reads)
    assert marking_ref(Tlp.AMBER).encode() in served and EE_IDENTITY.encode() in served


def test_a_version_without_a_policy_stores_sql_null(session: Session) -> None:
    """No policy is SQL NULL, not the JSON text 'null' every read would have to decode."""
    owner = make_team(session, "CERT-VN", "VN")
    collection = make_collection(session, owner, "Live")
    _share(session, collection, owner, [marked_indicator(1)])
    assert session.scalar(select(func.count()).select_from(StixObject).where(
        StixObject.iep_policy.is_(None))) == 1
