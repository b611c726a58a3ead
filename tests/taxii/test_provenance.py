"""Provenance over real HTTP: who stored each version, and who may add the next one.

ARCHITECTURE rule 4 (a partner's object is never edited in place: new versions only from the
source team; revoked objects take no later versions) and rule 5 (exercise data stays out of
live collections), through TAXII add objects (section 5.5) and its status resource (4.3.1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.collections import Collection, CollectionKind
from accord.models.stix import StixObject, TaxiiStatus
from accord.models.teams import Team
from accord.models.users import ApiToken, Role, User
from accord.sharing.ingest import EXERCISE_IN_LIVE, NOT_SOURCE_TEAM, REVOKED
from accord.tlp import Tlp
from exercises.runs.marking import EXERCISE_LABEL, EXERCISE_MARKING_ID, exercise_marking, prepare
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.conftest import indicator
from tests.taxii.wire import Wire, basic, bearer, failures_by_id, success_ids


@dataclass
class Partners:
    """Two teams that may both write two live collections."""

    url: str
    source: Team
    other: Team
    analyst: User
    token: ApiToken
    secret: str
    rival: User
    first: Collection
    second: Collection

    def wire(self, user: User, collection: Collection | None = None) -> Wire:
        return Wire.with_password(self.url, collection or self.first, user)


@pytest.fixture
def partners(session: Session, live_server: LiveServer) -> Partners:
    source, other = make_team(session, "CERT-VN"), make_team(session, "CERT-EE")
    analyst = make_user(session, source, Role.ANALYST, username="lan")
    rival = make_user(session, other, Role.ANALYST, username="kristjan")
    token, secret = make_token(session, analyst)
    first = make_collection(session, source, "Indicators")
    second = make_collection(session, other, "Partner mirror of indicators")
    for collection in (first, second):
        for team in (source, other):
            make_grant(session, collection, team, read=True, write=True, max_tlp=Tlp.AMBER)
    return Partners(live_server.url, source, other, analyst, token, secret, rival, first, second)


def versions_of(session: Session, stix_id: str) -> list[tuple[str, uuid.UUID, str]]:
    """(collection title, source team, modified) of every stored version of ``stix_id``."""
    session.expire_all()
    rows = session.execute(select(Collection.title, StixObject.source_team_id,
                                  StixObject.version)
                           .join(Collection, Collection.id == StixObject.collection_id)
                           .where(StixObject.stix_id == stix_id)
                           .order_by(StixObject.collection_id, StixObject.version))
    return [(title, team, version.strftime("%d")) for title, team, version in rows]


def row_of(session: Session, stix_id: str) -> StixObject:
    session.expire_all()
    return session.scalars(select(StixObject).where(StixObject.stix_id == stix_id)).one()


def test_password_post_records_team_and_user_and_no_token(session: Session,
                                                         partners: Partners) -> None:
    obj = indicator()
    status = partners.wire(partners.analyst).add(obj)
    row = row_of(session, obj["id"])
    assert (row.source_team_id, row.source_user_id, row.source_token_id) == (
        partners.source.id, partners.analyst.id, None)
    assert (row.collection_id, row.tlp, row.revoked, row.is_latest) == (
        partners.first.id, Tlp.AMBER, False, True)
    assert row.version == datetime(2026, 11, 1, 8, tzinfo=UTC)
    recorded = session.get_one(TaxiiStatus, uuid.UUID(status["id"]))
    assert (recorded.team_id, recorded.user_id) == (partners.source.id, partners.analyst.id)


@pytest.mark.parametrize("how", ["bearer", "basic with token"])
def test_token_post_records_the_token(session: Session, partners: Partners, how: str) -> None:
    authorization = bearer(partners.secret) if how == "bearer" else \
        basic(partners.analyst.username, partners.secret)
    obj = indicator()
    Wire.of(partners.url, partners.first, authorization).add(obj)
    row = row_of(session, obj["id"])
    assert (row.source_team_id, row.source_user_id, row.source_token_id) == (
        partners.source.id, partners.analyst.id, partners.token.id)


def test_only_the_source_team_adds_versions_hub_wide(session: Session,
                                                    partners: Partners) -> None:
    original = indicator(modified="2026-11-01T08:00:00.000Z")
    newer = dict(original, modified="2026-11-02T08:00:00.000Z", name="Edited by a partner")
    partners.wire(partners.analyst).add(original)

    for collection in (partners.first, partners.second):
        status = partners.wire(partners.rival, collection).add(newer, indicator("192.0.2.1"))
        assert failures_by_id(status) == {original["id"]: NOT_SOURCE_TEAM}
        assert status["failures"][0]["version"] == "2026-11-02T08:00:00.000000Z"
        assert status["success_count"] == 1
    assert versions_of(session, original["id"]) == [("Indicators", partners.source.id, "01")]

    again = partners.wire(partners.rival).add(original)
    assert (again["success_count"], again["failure_count"]) == (1, 0)
    assert versions_of(session, original["id"]) == [("Indicators", partners.source.id, "01")]

    for collection in (partners.first, partners.second):
        status = partners.wire(partners.analyst, collection).add(newer)
        assert success_ids(status) == [original["id"]] and status["failure_count"] == 0
    assert sorted(versions_of(session, original["id"])) == sorted([
        ("Indicators", partners.source.id, "01"), ("Indicators", partners.source.id, "02"),
        ("Partner mirror of indicators", partners.source.id, "02")])
    served = partners.wire(partners.rival).get(f"objects/{original['id']}/versions/").json()
    assert served["versions"] == ["2026-11-01T08:00:00.000000Z", "2026-11-02T08:00:00.000000Z"]


def test_revoked_objects_take_no_later_versions(session: Session, partners: Partners) -> None:
    first = indicator(modified="2026-11-01T08:00:00.000Z")
    revoked = dict(first, modified="2026-11-02T08:00:00.000Z", revoked=True)
    later = dict(first, modified="2026-11-03T08:00:00.000Z", name="Back from the dead")
    wire = partners.wire(partners.analyst)
    status = wire.add(first, revoked)
    assert status["success_count"] == 2
    assert failures_by_id(wire.add(later)) == {first["id"]: REVOKED}
    elsewhere = partners.wire(partners.analyst, partners.second).add(later)
    assert failures_by_id(elsewhere) == {first["id"]: REVOKED}

    in_one = indicator("192.0.2.8", modified="2026-11-01T08:00:00.000Z")
    batch = wire.add(in_one, dict(in_one, modified="2026-11-02T08:00:00.000Z", revoked=True),
                     dict(in_one, modified="2026-11-04T08:00:00.000Z"))
    assert (batch["success_count"], failures_by_id(batch)) == (2, {in_one["id"]: REVOKED})
    assert [v for _, _, v in versions_of(session, first["id"])] == ["01", "02"]
    assert wire.get(f"objects/{first['id']}/").json()["objects"] == [revoked]


def test_exercise_objects_stay_out_of_live_collections(session: Session,
                                                      partners: Partners) -> None:
    marked = indicator("192.0.2.50", object_marking_refs=[EXERCISE_MARKING_ID])
    labelled = indicator("192.0.2.51", labels=["malicious-activity", EXERCISE_LABEL])
    real = indicator("192.0.2.52", labels=["malicious-activity"])
    status = partners.wire(partners.analyst).add(exercise_marking(), marked, real, labelled)
    assert failures_by_id(status) == {
        EXERCISE_MARKING_ID: EXERCISE_IN_LIVE, marked["id"]: EXERCISE_IN_LIVE,
        labelled["id"]: EXERCISE_IN_LIVE}
    assert success_ids(status) == [real["id"]]
    stored = session.scalars(select(StixObject.stix_id)).all()
    assert stored == [real["id"]]


@pytest.mark.parametrize("kind", [CollectionKind.SHARING, CollectionKind.EXERCISE])
def test_prepared_exercise_injects_only_enter_exercise_collections(
        session: Session, partners: Partners, kind: CollectionKind) -> None:
    collection = make_collection(session, partners.source, f"Drill {kind.value}", kind=kind)
    scenario = indicator("192.0.2.60")
    objects = prepare([scenario], uuid.uuid4(), {scenario["id"]},
                      datetime(2026, 11, 5, 9, tzinfo=UTC), Tlp.GREEN,
                      f"identity--{uuid.uuid4()}")
    status = partners.wire(partners.analyst, collection).add(*objects)
    if kind == CollectionKind.EXERCISE:
        assert (status["success_count"], status["failure_count"]) == (len(objects), 0)
    else:
        assert failures_by_id(status) == {obj["id"]: EXERCISE_IN_LIVE for obj in objects
                                          if obj["type"] != "marking-definition"
                                          or obj["id"] == EXERCISE_MARKING_ID}
        assert status["success_count"] == 1  # the public TLP:GREEN marking definition
