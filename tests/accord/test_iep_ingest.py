"""Ingest stores each version's IEP policy and expiry (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.agreements import Agreement
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.sharing.ingest import Author, add_objects
from tests.factories import make_collection, make_team

MARKING = "marking-definition--6c1a6b7e-3f0e-4a55-9e8a-2a4b43f6b0a1"


def _marking(**statements: Any) -> dict[str, Any]:
    return {"type": "marking-definition", "spec_version": "2.1", "id": MARKING,
            "created": "2026-01-01T00:00:00.000Z", "name": "CERT-X incident response only",
            "extensions": {"extension-definition--0f5dd1b8-7d1b-4d0c-8a4e-6b1d2b3f0c11": {
                "extension_type": "property-extension", "iep_version": "2.0", **statements}}}


def _indicator(number: int, marking: bool = True) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{number:012d}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{number}']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"}
    if marking:
        obj["object_marking_refs"] = [MARKING]
    return obj


def _stored(session: Session, number: int) -> StixObject:
    row = session.scalar(select(StixObject).where(
        StixObject.stix_id == f"indicator--00000000-0000-4000-8000-{number:012d}"))
    assert row is not None
    return row


def _setup(session: Session) -> tuple[Team, Collection]:
    team = make_team(session, "CERT-X")
    return team, make_collection(session, team, title="IR only")


def test_an_object_marked_with_an_iep_policy_stores_it(session: Session, clock: Any) -> None:
    team, collection = _setup(session)
    result = add_objects(session, collection, [
        _marking(permitted_actions="internally-visible-actions", attribution="must-not",
                 end_date="2027-01-01T00:00:00Z"), _indicator(1)], Author(team.id))
    assert not result.failures
    row = _stored(session, 1)
    assert row.iep_policy is not None
    assert row.iep_policy["attribution"] == "must-not"
    assert row.iep_policy["policy_id"] == MARKING
    assert row.expires_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_a_stored_iep_marking_applies_to_a_later_batch(session: Session, clock: Any) -> None:
    team, collection = _setup(session)
    add_objects(session, collection, [_marking(permitted_actions="nothing")], Author(team.id))
    add_objects(session, collection, [_indicator(2)], Author(team.id))
    policy = _stored(session, 2).iep_policy
    assert policy is not None and policy["permitted_actions"] == "nothing"


def test_a_malformed_iep_marking_fails_alone(session: Session, clock: Any) -> None:
    team, collection = _setup(session)
    result = add_objects(session, collection, [
        _marking(permitted_actions="anything-goes"), _indicator(3), _indicator(4, False)],
        Author(team.id))
    failed = {failure["id"]: failure["message"] for failure in result.failures}
    assert "permitted_actions" in failed[MARKING]
    assert "IEP marking" in failed[_indicator(3)["id"]]
    assert _indicator(4)["id"] not in failed and result.stored == 1


def test_an_agreement_adds_its_default_and_retention_stricter_wins(
        session: Session, clock: Any) -> None:
    team, collection = _setup(session)
    agreement = Agreement(title="Fight crime", purpose="information sharing to fight crime",
                          owner_team=team, owner_team_id=team.id, retention_days=30,
                          starts_at=datetime(2026, 1, 1, tzinfo=UTC),
                          default_policy={"permitted_actions": "internally-visible-actions",
                                          "encrypt_in_transit": "must"})
    session.add(agreement)
    session.flush()
    collection.agreement_id = agreement.id
    add_objects(session, collection, [
        _marking(permitted_actions="externally-visible-direct-actions", attribution="must-not",
                 end_date="2099-01-01T00:00:00Z"), _indicator(5), _indicator(6, False)],
        Author(team.id))
    own, plain = _stored(session, 5), _stored(session, 6)
    assert own.iep_policy is not None and plain.iep_policy is not None
    assert own.iep_policy["permitted_actions"] == "internally-visible-actions"
    assert own.iep_policy["attribution"] == "must-not"
    assert plain.iep_policy == {"name": "Fight crime",
                                "encrypt_in_transit": "must",
                                "permitted_actions": "internally-visible-actions"}
    assert own.expires_at is not None and plain.expires_at is not None
    assert own.expires_at - own.date_added == timedelta(days=30)
    assert plain.expires_at - plain.date_added == timedelta(days=30)
