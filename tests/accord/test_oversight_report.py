"""Oversight reports per agreement and period (issue 17): what was shared with whom, what each
partner read (TAXII, web and export audit rows), what expired (``object.expired`` rows) and what
exports held back and why (their ``held_back`` details), in Markdown, HTML, JSON and CSV, with
names instead of ids."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.users import Role
from accord.sharing.ingest import Author, add_objects
from accord.tlp import Tlp
from tests.accord.agreement_world import World, build, record_outcomes
from tests.factories import json_of, make_token, make_user
from tests.taxii.conftest import indicator
from tests.taxii.wire import TAXII, bearer
from tests.web.helpers import sign_in


@pytest.fixture
def world(session: Session, clock: ManualClock, client: FlaskClient) -> World:
    """The agreement's world after an hour of use: a second indicator was shared at AMBER, the
    partner read over TAXII twice, an outsider was refused (by alias), an export held one
    object back and one object expired."""
    built = build(session)
    clock.advance(seconds=3600)
    add_objects(session, built.collection, [indicator("203.0.113.5", Tlp.AMBER)],
                Author(team_id=built.owner.id))
    session.commit()
    for _ in range(2):
        response = client.get(f"/taxii2/api/collections/{built.collection.id}/objects/",
                              headers={"Accept": TAXII,
                                       "Authorization": bearer(built.tokens["kristjan"])})
        assert response.status_code == 200
    stranger = make_user(session, built.outsider, Role.SERVICE, "stranger", None)
    refused = client.get("/taxii2/api/collections/phishing/objects/",
                         headers={"Accept": TAXII,
                                  "Authorization": bearer(make_token(session, stranger)[1])})
    assert refused.status_code == 404
    record_outcomes(session, built)
    return built


def _report(app: Flask, world: World, fmt: str, *extra: str) -> str:
    result = app.test_cli_runner().invoke(args=["agreements", "report", "Phishing response",
                                                "--format", fmt, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_report_counts_reads_expiry_and_held_back(app: Flask, world: World) -> None:
    data = json.loads(_report(app, world, "json"))
    assert data["collections"] == [{"title": "Phishing", "recipients": ["CERT-EE"]}]
    assert data["shared"]["total"] == 2
    assert data["shared"]["by_tlp"] == {"amber": 1, "green": 1}
    assert data["shared"]["by_type"] == {"indicator": 2}
    reads = {(r["team"], r["kind"]): r for r in data["readings"]}
    assert reads[("CERT-EE", "reads")]["requests"] == 2
    assert reads[("CERT-EE", "reads")]["objects"] == 4
    assert reads[("CERT-EE", "exports")]["requests"] == 1
    assert (reads[("CERT-CL", "reads")]["requests"], reads[("CERT-CL", "reads")]["refused"]) \
        == (0, 1)
    assert data["expired"] == [{"when": data["expired"][0]["when"], "collection": "Phishing",
                                "object": "indicator “Malicious host 198.51.100.9”",
                                "reason": "retention period reached"}]
    assert [(h["team"], h["object"]) for h in data["held_back"]] == [
        ("CERT-EE", "indicator “Malicious host 198.51.100.9”")]
    assert "does not allow blocking" in data["held_back"][0]["reason"]
    assert {p["statement"] for p in data["policy"]} == {
        "What recipients may do", "Naming the source", "Redistribution (TLP)"}


def test_markdown_html_and_csv_speak_plainly(app: Flask, world: World) -> None:
    markdown = _report(app, world, "markdown")
    html = _report(app, world, "html")
    rows = list(csv.DictReader(io.StringIO(_report(app, world, "csv"))))
    for text in (markdown, html):
        assert "Incident response to phishing only" in text
        assert "MoU on CSIRT cooperation, art. 4" in text
        assert "recipients must not name the provider" in text
        assert "90 days after it is shared" in text
        assert "Malicious host 198.51.100.9" in text
        assert "retention period reached" in text
        assert world.stix_id not in text and str(world.partner.id) not in text
    assert "| CERT-EE | Phishing | reads | 2 | 4 | 0 |" in markdown
    assert html.startswith("<!doctype html>") and "<td>CERT-EE</td>" in html
    sections = [row["section"] for row in rows]
    assert sections.count("shared") == 2 and "expired" in sections and "held back" in sections
    assert {row["team"] for row in rows if row["section"] == "reads"} == {"CERT-CL", "CERT-EE"}


def test_period_limits_what_is_reported(app: Flask, world: World, clock: ManualClock) -> None:
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    later = (clock.now() + timedelta(days=2)).date().isoformat()
    empty = json.loads(_report(app, world, "json", "--from", tomorrow, "--to", later))
    assert empty["shared"]["total"] == 0
    assert empty["readings"] == [] and empty["expired"] == [] and empty["held_back"] == []
    backwards = app.test_cli_runner().invoke(args=["agreements", "report", "Phishing response",
                                                   "--from", later, "--to", tomorrow])
    assert backwards.exit_code == 1 and "the period must end after it starts" in backwards.output


def test_report_over_api_and_web_for_the_providing_team_only(app: Flask, client: FlaskClient,
                                                             world: World) -> None:
    def api(user: str, query: str = "") -> tuple[int, str]:
        response = client.get(f"/api/v1/agreements/{world.agreement.id}/report{query}",
                              headers={"Authorization": bearer(world.tokens[user])})
        return response.status_code, response.get_data(as_text=True)

    status, body = api("lan")
    assert status == 200 and json.loads(body)["shared"]["total"] == 2
    status, body = api("lan", "?format=csv")
    assert status == 200 and body.startswith("section,collection,team")
    assert api("lan", "?format=pdf")[0] == 400
    assert api("lan", "?from=yesterday")[0] == 400
    assert api("kristjan")[0] == 404  # partners are not the data-protection officer
    web = app.test_client()
    sign_in(web, "lan")
    page = web.get(f"/agreements/{world.agreement.id}/report")
    assert page.status_code == 200 and "What each team read" in page.get_data(as_text=True)
    download = web.get(f"/agreements/{world.agreement.id}/report?format=md")
    assert download.headers["Content-Disposition"].startswith(
        'attachment; filename="oversight-phishing-response-')
    assert download.get_data(as_text=True).startswith("# Oversight report: Phishing response")
    assert web.get(f"/agreements/{world.agreement.id}/report?from=2026-13-01").status_code == 400
    detail = json_of(client.get(f"/api/v1/agreements/{world.agreement.id}",
                                headers={"Authorization": bearer(world.tokens["lan"])}))
    assert detail["collections"][0]["title"] == "Phishing"
