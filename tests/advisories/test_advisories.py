"""Advisories end to end through the JSON API: issue to groups, deliver by email within the
TLP, acknowledge and report status (people and service accounts), evidence over TAXII,
reminders and escalations on a moved clock (each sent once), updates and closure, the matrix."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from accord.scheduler.jobs import bind_job_app
from accord.tlp import Tlp, marking_ref
from advisories import deadlines, notices
from advisories.models import Advisory, AdvisoryNotice
from tests.advisories.conftest import MINISTRIES, Centre, Sink
from tests.factories import json_of
from tests.taxii.wire import TAXII, bearer

INDICATOR = {"type": "indicator", "spec_version": "2.1",
             "id": "indicator--6b0b4b2e-0d1f-4a77-9f59-0c8f3a4f1c11",
             "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
             "name": "Exploit host", "pattern": "[ipv4-addr:value = '203.0.113.66']",
             "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z"}


def _indicator() -> dict[str, Any]:
    """A new indicator (the same id at another TLP would be a conflicting version)."""
    return {**INDICATOR, "id": f"indicator--{uuid.uuid4()}"}


def _issue(centre: Centre, **overrides: Any) -> dict[str, Any]:
    body = {"title": "Patch the VPN gateways now", "severity": "critical", "tlp": "amber",
            "body": "CVE-2026-0001 is exploited. **Patch** and block the indicator.",
            "recipients": {"groups": ["Ministries"], "teams": ["Province North"]},
            "acknowledge_within": "PT1H", "status_within": "PT24H",
            "objects": [INDICATOR], **overrides}
    if body["objects"] == [INDICATOR] and "objects" not in overrides and "tlp" in overrides:
        body["objects"] = [_indicator()]
    response = centre.call("coordinator", "POST", "", json=body)
    assert response.status_code == 201, response.json
    issued: dict[str, Any] = response.json
    return issued


def _matrix(centre: Centre, ref: str, **params: str) -> dict[str, Any]:
    response = centre.call("coordinator", "GET", f"/{ref}/matrix", query_string=params)
    assert response.status_code == 200, response.json
    found: dict[str, Any] = response.json
    return found


def _row(matrix: dict[str, Any], team: str) -> dict[str, Any]:
    return next(r for r in matrix["matrix"] if r["team"] == team)


def test_an_advisory_reaches_exactly_its_recipients_over_taxii(centre: Centre) -> None:
    issued = _issue(centre)
    assert issued["ref"].startswith("ADV-") and issued["recipients"] == 4
    objects = f"/taxii2/api/collections/{issued['collection']}/objects/"
    for name in (*MINISTRIES, "Province North"):
        read = centre.client.get(objects, headers={"Accept": TAXII,
                                                   "Authorization": bearer(centre.tokens[name])})
        assert read.status_code == 200, name
        ids = {obj["id"] for obj in json_of(read)["objects"]}
        assert {INDICATOR["id"], issued["report_id"]} <= ids
        report = next(o for o in json_of(read)["objects"] if o["id"] == issued["report_id"])
        assert report["object_marking_refs"] == [marking_ref(Tlp.AMBER)]
        assert INDICATOR["id"] in report["object_refs"]
    outsider = centre.client.get(objects, headers={
        "Accept": TAXII, "Authorization": bearer(centre.tokens["Province South"])})
    assert outsider.status_code == 404
    hidden = centre.call("Province South", "GET", f"/{issued['ref']}")
    assert hidden.status_code == 404


def test_email_carries_only_what_the_tlp_allows(app: Flask, centre: Centre, smtp: Sink) -> None:
    amber = _issue(centre)
    green = _issue(centre, tlp="green", title="Block this domain",
                   recipients={"teams": ["Province South"]})
    assert notices.deliver_due(app) == 5
    by_ref: dict[str, list[Any]] = {}
    for message in smtp.messages:
        by_ref.setdefault(message["Subject"].split()[1], []).append(message)
    amber_mail = by_ref[amber["ref"]]
    assert sorted(m["To"] for m in amber_mail) == [f"soc{i}@gov.example" for i in range(4)]
    for message in amber_mail:
        text = message.get_payload()
        assert "Patch the VPN gateways" not in text + message["Subject"]
        assert "CVE-2026-0001" not in text and amber["ref"] in text
        assert message["X-Accord-Notice"]  # the idempotency key travels with the message
    [green_mail] = by_ref[green["ref"]]
    assert "Block this domain" in green_mail["Subject"]
    assert "CVE-2026-0001" in green_mail.get_payload()
    assert notices.deliver_due(app) == 0  # each notice once


def test_acknowledgements_status_evidence_and_lateness_in_the_matrix(
        centre: Centre, clock: ManualClock, session: Session) -> None:
    issued = _issue(centre, evidence="sighting")
    ref = issued["ref"]
    clock.advance(minutes=20)
    ack = centre.call("Ministry of Finance", "POST", f"/{ref}/acknowledge")
    assert ack.status_code == 200 and json_of(ack)["acknowledged_version"] == 1
    clock.advance(minutes=70)  # 1 h 30 after issue: the others are 30 min late
    late = centre.call("Ministry of Health", "POST", f"/{ref}/status",
                       json={"status": "mitigated", "note": "patched all gateways"})
    assert late.status_code == 200 and json_of(late)["status"] == "mitigated"
    sighting = {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}",
                "created": "2026-12-02T00:00:00.000Z", "modified": "2026-12-02T00:00:00.000Z",
                "sighting_of_ref": INDICATOR["id"]}
    posted = centre.client.post(
        f"/taxii2/api/collections/{issued['collection']}/objects/",
        json={"objects": [sighting]},
        headers={"Accept": TAXII, "Content-Type": TAXII,
                 "Authorization": bearer(centre.tokens["Ministry of Health"])})
    assert posted.status_code == 202 and json_of(posted)["success_count"] == 1
    matrix = _matrix(centre, ref)
    finance, health = _row(matrix, "Ministry of Finance"), _row(matrix, "Ministry of Health")
    assert finance["steps"]["acknowledged"]["state"] == "done"
    assert abs(finance["time_to_acknowledge"] - 1200) < 5  # the test clock still ticks
    assert health["steps"]["acknowledged"]["state"] == "late"  # by reporting status, late
    assert abs(health["steps"]["acknowledged"]["late_seconds"] - 1800) < 5
    assert health["steps"]["status"]["state"] == "done"
    assert health["steps"]["evidence"]["state"] == "done"
    assert abs(health["time_to_mitigate"] - 5400) < 5
    energy = _row(matrix, "Ministry of Energy")
    assert energy["steps"]["acknowledged"]["state"] == "overdue"
    assert abs(energy["steps"]["acknowledged"]["late_seconds"] - 1800) < 5
    assert matrix["summary"]["late"] == ["Ministry of Energy", "Ministry of Health",
                                         "Province North"]
    provinces = _matrix(centre, ref, group="Provinces")
    assert [r["team"] for r in provinces["matrix"]] == ["Province North"]
    csv = centre.call("coordinator", "GET", f"/{ref}/matrix", query_string={"format": "csv"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.decode().splitlines()[0].startswith("team,groups,status,acknowledged,")
    actions = set(session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("advisory.%"))))
    assert actions == {"advisory.issued", "advisory.acknowledged", "advisory.status"}


def test_reminders_then_escalations_each_once_and_never_after_closure(
        app: Flask, centre: Centre, clock: ManualClock, session: Session) -> None:
    issued = _issue(centre, acknowledge_within="PT1H")
    ref = issued["ref"]
    centre.call("Ministry of Finance", "POST", f"/{ref}/acknowledge")
    advisory = session.scalar(select(Advisory).where(Advisory.ref == ref))
    assert advisory is not None
    assert set(deadlines.moments(advisory)) >= {f"advisory:{advisory.id}:ack:remind",
                                                f"advisory:{advisory.id}:ack:escalate"}
    clock.advance(hours=1, minutes=1)
    with app.app_context():
        assert deadlines.act(session, advisory, "ack", "remind", clock.now()) == 3
        assert deadlines.act(session, advisory, "ack", "remind", clock.now()) == 0  # once
    session.commit()
    reminders = session.scalars(select(AdvisoryNotice.address).where(
        AdvisoryNotice.kind.like("reminder%")))
    assert sorted(reminders) == ["soc1@gov.example", "soc2@gov.example", "soc3@gov.example"]
    clock.advance(hours=1)
    assert deadlines.act(session, advisory, "ack", "escalate", clock.now()) == 3
    session.commit()
    escalated = sorted(session.scalars(select(AdvisoryNotice.address).where(
        AdvisoryNotice.kind.like("escalat%"))))
    assert escalated == sorted(["ciso1@gov.example", "ciso2@gov.example", "ciso3@gov.example",
                                "duty@national-cert.example"])  # the coordinator once
    closed = centre.call("coordinator", "POST", f"/{ref}/close")
    assert closed.status_code == 200 and json_of(closed)["state"] == "closed"
    refused = centre.call("Ministry of Energy", "POST", f"/{ref}/acknowledge")
    assert refused.status_code == 409


def test_an_update_is_acknowledged_apart_and_notified(centre: Centre, session: Session) -> None:
    issued = _issue(centre)
    ref = issued["ref"]
    centre.call("Ministry of Finance", "POST", f"/{ref}/acknowledge")
    updated = centre.call("coordinator", "POST", f"/{ref}/update",
                          json={"body": "Second gateway model affected too."})
    assert updated.status_code == 200 and json_of(updated)["version"] == 2
    row = _row(_matrix(centre, ref), "Ministry of Finance")
    assert row["steps"]["acknowledged"]["state"] == "done"
    assert row["steps"]["update acknowledged"]["state"] == "open"
    again = centre.call("Ministry of Finance", "POST", f"/{ref}/acknowledge")
    assert json_of(again)["acknowledged_version"] == 2
    row = _row(_matrix(centre, ref), "Ministry of Finance")
    assert row["steps"]["update acknowledged"]["state"] == "done"
    versions = session.scalar(select(func.count()).select_from(StixObject).where(
        StixObject.stix_id == issued["report_id"]))
    assert versions == 2  # the report itself has a new version
    kinds = set(session.scalars(select(AdvisoryNotice.kind)))
    assert {"issued", "updated-v2"} <= kinds


def test_bad_requests_are_clear_and_roles_are_checked(centre: Centre) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": ""}, "title"),
        ({"tlp": "purple"}, "tlp"),
        ({"severity": "urgent"}, "severity"),
        ({"acknowledge_within": "1 hour"}, "acknowledge_within"),
        ({"acknowledge_within": "P90D"}, "acknowledge_within"),
        ({"recipients": {"teams": ["Nobody CERT"]}}, "Nobody CERT"),
        ({"recipients": {}}, "recipients"),
        ({"objects": [{"type": "indicator", "id": "bad"}]}, "objects"),
    ]
    base = {"title": "t", "severity": "low", "tlp": "green",
            "recipients": {"teams": ["Province South"]}}
    for change, named in cases:
        response = centre.call("coordinator", "POST", "", json={**base, **change})
        assert response.status_code in (400, 404), (change, response.json)
        assert named in json_of(response)["message"], (change, response.json)
    analyst = centre.call("Ministry of Health", "POST", "", json=base)
    assert analyst.status_code == 403
    issued = _issue(centre)
    bad_status = centre.call("Ministry of Health", "POST", f"/{issued['ref']}/status",
                             json={"status": "fine"})
    assert bad_status.status_code == 400 and "not one of" in json_of(bad_status)["message"]
    matrix = centre.call("Ministry of Health", "GET", f"/{issued['ref']}/matrix")
    assert matrix.status_code == 403


def test_the_scheduler_job_acts_from_the_database(
        app: Flask, centre: Centre, clock: ManualClock, session: Session) -> None:
    issued = _issue(centre, status_within="PT2H")
    advisory = session.scalar(select(Advisory).where(Advisory.ref == issued["ref"]))
    assert advisory is not None
    clock.advance(timedelta(hours=3))
    bind_job_app(app)
    try:
        deadlines.check(str(advisory.id), "status", "remind")
        deadlines.check(str(advisory.id), "status", "remind")  # a job run twice
    finally:
        bind_job_app(None)
    session.expire_all()
    reminders = session.scalar(select(func.count()).select_from(AdvisoryNotice).where(
        AdvisoryNotice.kind == "reminder:status"))
    assert reminders == 4
