"""IEP 2.0 on the outbound paths that are not feeds (issue 17): ``accord export`` in every
format, and TAXII pages served to automation (a service account, as a remote hub pulls)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from accord.iep import policy_in_marking
from accord.models.agreements import Agreement
from accord.models.stix import StixObject
from accord.models.users import Role
from accord.sharing.attribution import hub_identity_id
from accord.sharing.carried import policy_marking_id
from accord.sharing.ingest import Author, add_objects
from accord.tlp import Tlp
from tests.accord.test_share_export import Home, audits, export, home
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_token, make_user
from tests.iepsamples import iep_marking, marked_indicator

__all__ = ["home"]  # the fixture, used by name
HUB = "Accord hub"  # the default HUB_NAME of the test app
MARKING = "marking-definition--3d0c2b5e-6a1f-4c7e-9b8d-0e2f4a6c8b1d"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _partner_shares(session: Session, home: Home, **statements: Any
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """CERT-EE shares an IEP-marked indicator (with its marking) and an unmarked one."""
    marked, plain = marked_indicator(1, MARKING), marked_indicator(2)
    result = add_objects(session, home.collection,
                         [iep_marking(MARKING, **statements), marked, plain],
                         Author(home.partner.id, home.kristjan.id))
    assert not result.failures, result.failures
    session.commit()
    return marked, plain


def _bundle(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    objects: list[dict[str, Any]] = json.loads(result.stdout)["objects"]
    return objects


def _ids(objects: list[dict[str, Any]]) -> list[str]:
    return [str(obj["id"]) for obj in objects]


def _last_export_details(session: Session) -> dict[str, Any]:
    details: dict[str, Any] = audits(session, "cli.export")[-1].details
    return details


ANALYSIS_ONLY = {"permitted_actions": "internally-visible-actions", "attribution": "must-not",
                 "unmodified_resale": "must-not"}


def test_blocklists_and_csv_hold_back_objects_not_permitting_direct_action(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    marked, plain = _partner_shares(session, home, **ANALYSIS_ONLY)
    held = [{"id": marked["id"], "reason": "IEP permitted_actions is internally-visible-actions;"
                                           " a blocklist export is for "
                                           "externally-visible-direct-actions"}]

    blocklist = export(app, "lan", "--format", "blocklist")
    assert blocklist.exit_code == 0, blocklist.output
    assert blocklist.stdout.split() == ["198.51.100.2"]
    assert f"Held back by IEP policy: 1\n  {marked['id']}: IEP permitted_actions" \
        in blocklist.stderr
    assert _last_export_details(session)["held_back"] == held

    table = export(app, "lan", "--format", "csv", "--type", "indicator")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [row["id"] for row in rows] == [plain["id"]]
    assert _last_export_details(session)["held_back"] == [
        {**held[0], "reason": held[0]["reason"].replace("blocklist", "csv")}]

    # A bundle is for analysis, which the policy permits; the source team is not limited.
    assert marked["id"] in _ids(_bundle(export(app, "lan")))
    assert _last_export_details(session)["held_back"] == []
    own = export(app, "kristjan", "--format", "blocklist")
    assert sorted(own.stdout.split()) == ["198.51.100.1", "198.51.100.2"]


def test_a_bundle_for_analysis_holds_back_what_permits_no_action(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    marked, plain = _partner_shares(session, home, permitted_actions="contact-for-instruction")
    objects = _bundle(export(app, "lan"))
    assert plain["id"] in _ids(objects) and marked["id"] not in _ids(objects)
    assert _last_export_details(session)["held_back"][0]["id"] == marked["id"]


def test_hidden_source_is_the_hub_and_the_policy_travels_in_the_bundle(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    marked, plain = _partner_shares(session, home, **ANALYSIS_ONLY)
    result = export(app, "lan")
    objects = _bundle(result)
    by_id = {obj["id"]: obj for obj in objects}
    hub = hub_identity_id(HUB)
    assert by_id[marked["id"]]["created_by_ref"] == hub
    assert by_id[hub]["name"] == HUB and by_id[hub]["type"] == "identity"
    assert home.partner.identity_id not in json.dumps(by_id[marked["id"]])
    assert by_id[plain["id"]]["created_by_ref"] == home.partner.identity_id
    # The object's own IEP marking is carried and comes before the object using it.
    assert MARKING in by_id[marked["id"]]["object_marking_refs"]
    assert _ids(objects).index(MARKING) < _ids(objects).index(marked["id"])
    carried = policy_in_marking(by_id[MARKING])
    stored = session.scalar(select(StixObject.iep_policy).where(
        StixObject.stix_id == marked["id"]))
    assert carried is not None and carried.to_json() == stored
    assert stored is not None and stored["unmodified_resale"] == "must-not"

    table = {row["id"]: row for row in csv.DictReader(io.StringIO(
        export(app, "lan", "--format", "csv", "--type", "indicator").stdout))}
    assert marked["id"] not in table  # held back for blocking; the plain one names its team
    assert table[plain["id"]]["source_team"] == "CERT-EE"
    # The source team's own export names it.
    own = {obj["id"]: obj for obj in _bundle(export(app, "kristjan"))}
    assert own[marked["id"]]["created_by_ref"] == home.partner.identity_id
    assert hub not in own


def test_csv_names_the_hub_for_a_hidden_source(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    marked, _ = _partner_shares(session, home, attribution="must-not")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        export(app, "lan", "--format", "csv").stdout))}
    assert rows[marked["id"]]["source_team"] == HUB
    own = {row["id"]: row for row in csv.DictReader(io.StringIO(
        export(app, "kristjan", "--format", "csv").stdout))}
    assert own[marked["id"]]["source_team"] == "CERT-EE"


def test_expired_versions_leave_only_to_their_source_team(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    marked, plain = _partner_shares(session, home, end_date=_stamp(utcnow() + timedelta(days=1)))
    for fmt in ("bundle", "csv", "blocklist"):
        assert "198.51.100.1" in export(app, "lan", "--format", fmt).stdout
    clock.advance(seconds=86_400)
    for fmt in ("bundle", "csv", "blocklist"):
        out = export(app, "lan", "--format", fmt).stdout
        assert "198.51.100.1" not in out and "198.51.100.2" in out, fmt
        assert "198.51.100.1" in export(app, "kristjan", "--format", fmt).stdout, fmt
    objects = _bundle(export(app, "lan"))
    assert marked["id"] not in _ids(objects) and plain["id"] in _ids(objects)


def test_an_expired_version_is_not_even_read_for_an_export(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    """The read path already leaves it out for recipients (accord.sharing.visibility): the
    export neither writes nor lists it; the source team's export still has it."""
    marked, _ = _partner_shares(session, home, end_date=_stamp(utcnow() + timedelta(hours=1)))
    clock.advance(seconds=7200)
    export(app, "lan", "--format", "csv", "--type", "indicator")
    details = _last_export_details(session)
    assert details["held_back"] == [] and details["objects"] == 1
    export(app, "kristjan", "--format", "csv", "--type", "indicator")
    assert _last_export_details(session)["objects"] == 2
    assert marked["id"] in export(app, "kristjan", "--format", "csv").stdout


def _agreement_collection(session: Session, home: Home) -> Any:
    agreement = Agreement(title="Fight crime", purpose="information sharing to fight crime",
                          owner_team=home.owner, owner_team_id=home.owner.id,
                          starts_at=datetime(2026, 1, 1, tzinfo=UTC),
                          default_policy={"unmodified_resale": "must-not",
                                          "affected_party_notifications": "may",
                                          "attribution": "must-not"},
                          parties=[home.partner])  # grants under it work for its parties
    session.add(agreement)
    session.flush()
    collection = make_collection(session, home.owner, "Under agreement", alias="agreed")
    collection.agreement_id = agreement.id
    make_grant(session, collection, home.owner, read=True, write=True, max_tlp=Tlp.AMBER)
    make_grant(session, collection, home.partner, read=True, write=True, max_tlp=Tlp.AMBER)
    session.commit()
    return collection


def test_a_default_policy_travels_as_a_deterministic_marking_and_round_trips(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    collection = _agreement_collection(session, home)
    obj = marked_indicator(3)
    assert not add_objects(session, collection, [obj], Author(home.partner.id)).failures
    session.commit()
    stored = session.scalar(select(StixObject.iep_policy).where(StixObject.stix_id == obj["id"]))
    assert stored == {"name": "Fight crime", "unmodified_resale": "must-not",
                      "affected_party_notifications": "may", "attribution": "must-not"}
    result = app.test_cli_runner().invoke(args=["export", "agreed", "--as", "lan"])
    by_id = {item["id"]: item for item in _bundle(result)}
    marking_id = policy_marking_id(stored)
    copy = by_id[obj["id"]]
    assert marking_id in copy["object_marking_refs"]
    assert copy["created_by_ref"] == hub_identity_id(HUB)
    carried = policy_in_marking(by_id[marking_id])
    assert carried is not None
    assert {**carried.to_json(), "policy_id": None} == {**stored, "policy_id": None}

    # The copy comes back (another hub returns it): recognised as the same version.
    back = add_objects(session, collection, [by_id[marking_id], copy], Author(home.partner.id))
    assert not back.failures and back.known == 1, back.failures
    # Into a collection without an agreement, the carried marking alone gives the policy.
    plain = make_collection(session, home.owner, "No agreement")
    make_grant(session, plain, home.owner, read=True, write=True, max_tlp=Tlp.AMBER)
    assert not add_objects(session, plain, [by_id[marking_id], copy],
                           Author(home.owner.id)).failures
    session.commit()
    again = session.scalar(select(StixObject.iep_policy).where(
        StixObject.stix_id == obj["id"], StixObject.collection_id == plain.id))
    assert again is not None and {k: v for k, v in again.items() if k != "policy_id"} == stored


def test_a_hidden_source_copy_coming_back_is_the_same_version(
        app: Flask, session: Session, home: Home, clock: ManualClock) -> None:
    marked, _ = _partner_shares(session, home, **ANALYSIS_ONLY)
    copy = {obj["id"]: obj for obj in _bundle(export(app, "lan"))}[marked["id"]]
    assert copy["created_by_ref"] == hub_identity_id(HUB)
    back = add_objects(session, home.collection, [copy], Author(home.partner.id))
    assert back.failures == [] and back.known == 1


@pytest.fixture
def robot_token(session: Session, home: Home) -> str:
    """A service account of the owner team (automation, as a remote hub's pull)."""
    robot = make_user(session, home.owner, Role.SERVICE, username="vn-sync")
    return make_token(session, robot, ("read",))[1]


def _served(url: str, home: Home, token: str, object_id: str = "") -> list[dict[str, Any]]:
    one = f"{object_id}/" if object_id else ""
    response = requests.get(
        f"{url}/taxii2/api/collections/{home.collection.id}/objects/{one}",
        headers={"Authorization": f"Bearer {token}",
                 "Accept": "application/taxii+json;version=2.1"}, timeout=10)
    assert response.status_code == 200, response.text
    objects: list[dict[str, Any]] = response.json().get("objects", [])
    return objects


def test_taxii_pages_for_automation_carry_the_policy_and_drop_expired_versions(
        live_server: LiveServer, session: Session, home: Home, robot_token: str,
        clock: ManualClock) -> None:
    marked, plain = _partner_shares(session, home, attribution="must-not",
                                    end_date=_stamp(utcnow() + timedelta(days=1)))
    objects = _served(live_server.url, home, robot_token)
    by_id = {obj["id"]: obj for obj in objects}
    hub = hub_identity_id(HUB)
    assert by_id[marked["id"]]["created_by_ref"] == hub
    assert _ids(objects).index(hub) < _ids(objects).index(marked["id"])
    assert _ids(objects).index(MARKING) < _ids(objects).index(marked["id"])
    assert home.partner.identity_id not in json.dumps(by_id[marked["id"]])
    # Get an Object answers with that object's versions only (the same outbound copy).
    alone = _served(live_server.url, home, robot_token, marked["id"])
    assert alone == [by_id[marked["id"]]]
    clock.advance(seconds=86_400)
    later = _ids(_served(live_server.url, home, robot_token))
    assert marked["id"] not in later and plain["id"] in later


def test_taxii_pages_for_automation_over_plain_http_leave_out_what_needs_encryption(
        live_server: LiveServer, session: Session, home: Home, robot_token: str,
        clock: ManualClock) -> None:
    sealed, plain = _partner_shares(session, home, encrypt_in_transit="must")
    served = _ids(_served(live_server.url, home, robot_token))
    assert plain["id"] in served and sealed["id"] not in served
