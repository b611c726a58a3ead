"""The coordinator's side of the advisory pages: STIX pasted into the issue form (stored through
the one write path, bad input named), Update and Close from the advisory page (CSRF, audit rows,
recipients notified, scheduler jobs in step), and the matrix's live region."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from accord.scheduler.jobs import list_jobs
from advisories.models import Advisory, AdvisoryNotice, AdvisoryState
from tests.advisories.conftest import Centre
from tests.web.helpers import csrf_from, sign_in


def _indicator(value: str = "203.0.113.66") -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
            "name": f"Exploit host {value}", "pattern": f"[ipv4-addr:value = '{value}']",
            "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z"}


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code in (302, 303)
    return client


def _issue(client: FlaskClient, objects: str) -> Any:
    token = csrf_from(client.get("/advisories/new"))
    return client.post("/advisories/", data={
        "csrf_token": token, "title": "Block the exploit hosts", "severity": "high",
        "tlp": "amber", "body": "Block them.", "groups": ["Ministries"],
        "acknowledge_within": "PT1H", "status_within": "PT4H", "evidence": "none",
        "objects": objects})


def _stored(session: Session, advisory: Advisory) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(StixObject.stix_id).where(
        StixObject.collection_id == advisory.collection_id)))


def _advisory(session: Session) -> Advisory:
    session.expire_all()
    found = session.scalar(select(Advisory).order_by(Advisory.created_at.desc()))
    assert found is not None
    return found


def test_stix_in_the_issue_form_goes_through_the_write_path(
        app: Flask, centre: Centre, session: Session) -> None:
    coordinator = _client(app, "centre")
    cases = [("{not json", "objects: "),
             ('{"type": "bundle"}', "objects: expected a STIX bundle"),
             (json.dumps([{**_indicator(), "pattern": "[ipv4-addr:value = "}]),
              "objects: the advisory&#39;s STIX was refused (indicator--"),
             (json.dumps([{"type": "indicator", "id": "indicator--nope"}]),
              "objects: the advisory&#39;s STIX was refused")]
    for text, message in cases:
        refused = _issue(coordinator, text)
        assert refused.status_code == 400, text
        page = refused.get_data(as_text=True)
        assert message in page, (text, page[page.find("flash"):][:300])
        assert text.replace('"', "&#34;")[:20] in page  # what was typed is kept
    assert session.scalar(select(Advisory.id)) is None  # nothing was issued

    first, second = _indicator(), _indicator("198.51.100.7")
    issued = _issue(coordinator, json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                                             "objects": [first, second]}))
    assert issued.status_code == 303, issued.get_data(as_text=True)[:400]
    advisory = _advisory(session)
    assert {first["id"], second["id"], advisory.report_id} <= _stored(session, advisory)
    report = session.scalar(select(StixObject.document).where(
        StixObject.stix_id == advisory.report_id))
    assert report is not None and first["id"] in report and second["id"] in report


def test_update_and_close_from_the_page(app: Flask, centre: Centre, session: Session) -> None:
    coordinator = _client(app, "centre")
    assert _issue(coordinator, "").status_code == 303
    advisory = _advisory(session)
    ref = advisory.ref
    page = coordinator.get(f"/advisories/{ref}")
    assert "Issue version 2" in page.get_data(as_text=True)
    token = csrf_from(page)
    analyst = _client(app, "analyst0")
    analyst_page = analyst.get(f"/advisories/{ref}").get_data(as_text=True)
    assert "Issue version 2" not in analyst_page and "Close advisory" not in analyst_page
    analyst_token = csrf_from(analyst.get(f"/advisories/{ref}"))
    assert analyst.post(f"/advisories/{ref}/close",
                        data={"csrf_token": analyst_token}).status_code == 403
    assert coordinator.post(f"/advisories/{ref}/close").status_code == 400  # no CSRF token
    assert analyst.post(f"/advisories/{ref}/acknowledge",
                        data={"csrf_token": analyst_token}).status_code == 303

    bad = coordinator.post(f"/advisories/{ref}/update", data={
        "csrf_token": token, "title": "Block more hosts", "severity": "urgent", "body": "x"})
    assert bad.status_code == 400 and "severity: &#39;urgent&#39; is not one of" in \
        bad.get_data(as_text=True)
    bad = coordinator.post(f"/advisories/{ref}/update", data={
        "csrf_token": token, "title": "Block more hosts", "severity": "high",
        "body": "Typed text stays", "objects": "[1]"})
    assert bad.status_code == 400 and "Typed text stays" in bad.get_data(as_text=True)
    assert _advisory(session).version == 1

    extra = _indicator("192.0.2.99")
    updated = coordinator.post(f"/advisories/{ref}/update", data={
        "csrf_token": token, "title": "Block more hosts", "severity": "critical",
        "body": "Also 192.0.2.99.", "objects": json.dumps(extra)}, follow_redirects=True)
    assert f"{ref} updated to version 2" in updated.get_data(as_text=True)
    advisory = _advisory(session)
    assert (advisory.version, advisory.title, advisory.severity.value) == (
        2, "Block more hosts", "critical")
    assert extra["id"] in _stored(session, advisory)
    assert "update to acknowledge" in analyst.get("/advisories/").get_data(as_text=True)
    assert "Acknowledge update (version 2)" in analyst.get(f"/advisories/{ref}").get_data(
        as_text=True)

    closed = coordinator.post(f"/advisories/{ref}/close", data={"csrf_token": token},
                              follow_redirects=True)
    text = closed.get_data(as_text=True)
    assert f"{ref} closed." in text and "Close advisory" not in text
    assert _advisory(session).state == AdvisoryState.CLOSED
    assert list_jobs(app, f"advisory:{advisory.id}:") == []  # no reminder after closure
    again = coordinator.post(f"/advisories/{ref}/close", data={"csrf_token": token},
                             follow_redirects=True)
    assert "is closed" in again.get_data(as_text=True)
    kinds = set(session.scalars(select(AdvisoryNotice.kind).where(
        AdvisoryNotice.advisory_id == advisory.id)))
    assert {"issued", "updated-v2", "closed"} <= kinds
    audited = [(e.action, e.details.get("version")) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("advisory.%"),
                                 AuditEvent.actor_name == "centre")
        .order_by(AuditEvent.id))]
    assert audited == [("advisory.issued", None), ("advisory.updated", 2),
                       ("advisory.closed", None)]
    assert session.scalar(select(AuditEvent.actor_name).where(
        AuditEvent.action == "advisory.acknowledged")) == "analyst0"


def test_the_matrix_live_region_is_for_the_coordinator(app: Flask, centre: Centre,
                                                       session: Session) -> None:
    coordinator = _client(app, "centre")
    assert _issue(coordinator, "").status_code == 303
    ref = _advisory(session).ref
    page = coordinator.get(f"/advisories/{ref}/matrix?group=Ministries").get_data(as_text=True)
    assert f'data-poll="/advisories/{ref}/matrix/live?group=Ministries"' in page
    assert "poll.js" in page and "<script>" not in page  # CSP: script-src 'self' only
    before = coordinator.get(f"/advisories/{ref}/matrix/live?group=Ministries")
    assert before.status_code == 200 and "<html" not in before.get_data(as_text=True)
    assert centre.call("Ministry of Health", "POST", f"/{ref}/status",
                       json={"status": "needs-help", "note": "no patch window"}).status_code \
        == 200
    after = coordinator.get(f"/advisories/{ref}/matrix/live?group=Ministries").get_data(
        as_text=True)
    assert "needs-help" in after and "no patch window" in after
    assert _client(app, "analyst1").get(f"/advisories/{ref}/matrix/live").status_code == 403
    assert _client(app, "analyst4").get(f"/advisories/{ref}/matrix/live").status_code == 404
