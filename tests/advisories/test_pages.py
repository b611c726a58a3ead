"""Advisory pages through the web shell: inbox, safe Markdown, acknowledge and status from the
advisory page (CSRF-protected), the issue form sharing the API's parser, and the matrix."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from accord.clock import ManualClock
from advisories.timing import lateness
from advisories.web.rendering import safe_markdown
from tests.advisories.conftest import Centre
from tests.web.helpers import csrf_from, sign_in

BODY = ("CVE-2026-0001 is exploited. **Patch now.**\n\n<script>alert('x')</script>\n\n"
        "[run me](javascript:alert(1)) and [read](https://cert.example/adv)")


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code in (302, 303)
    return client


def _issue_from_form(app: Flask, **fields: Any) -> tuple[FlaskClient, Any]:
    coordinator = _client(app, "centre")
    form = coordinator.get("/advisories/new")
    assert form.status_code == 200
    data = {"csrf_token": csrf_from(form), "title": "Patch the VPN gateways", "severity": "high",
            "tlp": "amber", "body": BODY, "groups": ["Ministries"], "teams": ["Province North"],
            "acknowledge_within": "PT1H", "status_within": "PT4H", "evidence": "none",
            **fields}
    return coordinator, coordinator.post("/advisories/", data=data)


def test_markdown_is_rendered_without_raw_html_or_script_links() -> None:
    html = str(safe_markdown(BODY))
    assert "<strong>Patch now.</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and 'href="https://cert.example/adv"' in html
    assert lateness(30 * 60) == "late 30 min" and lateness(None) == ""
    assert lateness(2 * 3600 + 5 * 60) == "late 2 h 5 min"


def test_recipient_acknowledges_and_reports_status_and_the_matrix_shows_it(
        app: Flask, centre: Centre, clock: ManualClock) -> None:
    coordinator, issued = _issue_from_form(app)
    assert issued.status_code == 303, issued.get_data(as_text=True)[:500]
    ref = issued.headers["Location"].split("/")[-2]
    analyst = _client(app, "analyst0")  # Ministry of Finance
    inbox = analyst.get("/advisories/").get_data(as_text=True)
    assert ref in inbox and "not acknowledged" in inbox and "TLP:AMBER" in inbox
    page = analyst.get(f"/advisories/{ref}")
    text = page.get_data(as_text=True)
    assert "<strong>Patch now.</strong>" in text and "<script>alert" not in text
    missing = analyst.post(f"/advisories/{ref}/acknowledge")
    assert missing.status_code == 400  # no CSRF token
    clock.advance(seconds=90 * 60)  # acknowledged 30 minutes after its deadline
    done = analyst.post(f"/advisories/{ref}/acknowledge",
                        data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "version 1 acknowledged" in done.get_data(as_text=True)
    bad = analyst.post(f"/advisories/{ref}/status", data={
        "csrf_token": csrf_from(page), "status": "fine"}, follow_redirects=True)
    assert "is not one of" in bad.get_data(as_text=True)
    reported = analyst.post(f"/advisories/{ref}/status", data={
        "csrf_token": csrf_from(page), "status": "mitigated", "note": "patched all 3"},
        follow_redirects=True)
    assert "Status of" in reported.get_data(as_text=True)
    grid = coordinator.get(f"/advisories/{ref}/matrix").get_data(as_text=True)
    assert "Ministry of Finance" in grid and "late 30 min" in grid
    assert "mitigated" in grid and "patched all 3" in grid
    provinces = coordinator.get(f"/advisories/{ref}/matrix?group=Provinces")
    assert "Ministry of Finance" not in provinces.get_data(as_text=True)
    csv = coordinator.get(f"/advisories/{ref}/matrix.csv")
    assert csv.mimetype == "text/csv" and "Ministry of Finance" in csv.get_data(as_text=True)
    assert analyst.get(f"/advisories/{ref}/matrix").status_code == 403
    outsider = _client(app, "analyst4")  # Province South is not a recipient
    assert outsider.get(f"/advisories/{ref}").status_code == 404


def test_the_issue_form_reports_bad_fields_like_the_api(app: Flask, centre: Centre) -> None:
    _, response = _issue_from_form(app, acknowledge_within="soon")
    assert response.status_code == 400
    assert "acknowledge_within: an ISO 8601 duration" in response.get_data(as_text=True)
    _, response = _issue_from_form(app, title="")
    assert response.status_code == 400 and "title: required" in response.get_data(as_text=True)


def test_leadership_report_in_three_formats(app: Flask, centre: Centre,
                                            clock: ManualClock) -> None:
    coordinator, issued = _issue_from_form(app)
    ref = issued.headers["Location"].split("/")[-2]
    ack = centre.call("Ministry of Finance", "POST", f"/{ref}/acknowledge")
    assert ack.status_code == 200
    clock.advance(seconds=2 * 3600)
    done = centre.call("Ministry of Health", "POST", f"/{ref}/status",
                       json={"status": "mitigated"})
    assert done.status_code == 200
    data = centre.call("coordinator", "GET", f"/{ref}/report", query_string={"format": "json"})
    assert data.status_code == 200
    report = data.json
    assert report["summary"]["recipients"] == 4
    assert report["distributions"]["time_to_acknowledge"]["within 15 min"] == 1
    assert report["distributions"]["time_to_acknowledge"]["within 4 h"] == 1
    assert report["distributions"]["time_to_mitigate"]["within 4 h"] == 1
    assert report["distributions"]["time_to_acknowledge"]["not yet"] == 2
    late = {(item["team"], item["step"]) for item in report["late"]}
    assert ("Ministry of Health", "acknowledged") in late
    assert ("Province North", "acknowledged") in late
    markdown = centre.call("coordinator", "GET", f"/{ref}/report",
                           query_string={"format": "markdown"})
    assert markdown.mimetype == "text/markdown"
    assert "| Ministry of Health | acknowledged | late | late 1 h |" in markdown.get_data(
        as_text=True)
    assert centre.call("coordinator", "GET", f"/{ref}/report",
                       query_string={"format": "pdf"}).status_code == 400
    assert centre.call("Ministry of Finance", "GET", f"/{ref}/report").status_code == 403
    page = coordinator.get(f"/advisories/{ref}/matrix").get_data(as_text=True)
    assert f"/advisories/{ref}/report?format=html" in page
    html = coordinator.get(f"/advisories/{ref}/report?format=html")
    assert html.mimetype == "text/html" and "<h2>Late</h2>" in html.get_data(as_text=True)


def test_an_update_is_acknowledged_again_from_the_page(app: Flask, centre: Centre) -> None:
    _, issued = _issue_from_form(app)
    ref = issued.headers["Location"].split("/")[-2]
    analyst = _client(app, "analyst1")  # Ministry of Health
    page = analyst.get(f"/advisories/{ref}")
    analyst.post(f"/advisories/{ref}/acknowledge", data={"csrf_token": csrf_from(page)})
    updated = centre.call("coordinator", "POST", f"/{ref}/update",
                          json={"body": "Version 2: also block 198.51.100.7"})
    assert updated.status_code == 200
    assert "update to acknowledge" in analyst.get("/advisories/").get_data(as_text=True)
    page = analyst.get(f"/advisories/{ref}")
    assert "Acknowledge update (version 2)" in page.get_data(as_text=True)
    done = analyst.post(f"/advisories/{ref}/acknowledge", data={"csrf_token": csrf_from(page)},
                        follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "version 2 acknowledged" in text and "Acknowledge update" not in text
    mine = centre.call("Ministry of Health", "GET", f"/{ref}").json["mine"]
    assert mine["acknowledged_version"] == 2
