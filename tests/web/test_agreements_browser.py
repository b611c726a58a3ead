"""Agreement and oversight report pages in a real Chromium (issue 17): the providing team's
admin opens the agreement from the navigation, reads its terms and policy in words, opens the
oversight report and ends the agreement; the partner then no longer reaches the collection."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from accord import audit
from tests.accord.agreement_world import World, build, record_outcomes
from tests.conftest import LiveServer
from tests.web.browsing import fits_width, sign_in, sign_out
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def world(session: Session, live_server: LiveServer) -> World:
    built = build(session)
    audit.record(session, "taxii.read.objects", actor=built.partner_user,
                 target_type="collection", target_id=built.collection.id,
                 details={"objects": 1, "tlp": ["green"]})
    record_outcomes(session, built)
    return built


def test_agreement_page_report_and_end(page: Page, live_server: LiveServer,
                                       world: World) -> None:
    sign_in(page, live_server, "kristjan")
    page.goto(f"{live_server.url}/collections/{world.collection.id}/")
    expect(page.get_by_role("heading", name="Phishing")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "boss")
    panel = page.get_by_role("region", name="Sharing agreements")
    panel.get_by_role("link", name="Phishing response").click()
    expect(page.get_by_role("heading", name="Phishing response")).to_be_visible()
    expect(page.get_by_text("act on it inside their own organisation only")).to_be_visible()
    expect(page.get_by_role("cell", name="CERT-EE")).to_be_visible()
    assert fits_width(page)
    screenshot(page, "agreement")

    page.get_by_role("link", name="Oversight report").click()
    expect(page.get_by_role("heading", name="What exports held back, and why")).to_be_visible()
    expect(page.get_by_text("retention period reached")).to_be_visible()
    assert page.get_by_role("cell", name="indicator “Malicious host 198.51.100.9”").count() == 2
    assert fits_width(page)
    screenshot(page, "oversight-report")

    page.get_by_role("link", name="← Phishing response").click()
    page.get_by_role("button", name="End the agreement now").click()
    expect(page.get_by_text("its grants no longer work")).to_be_visible()
    expect(page.get_by_text("no: the agreement is not in force")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "kristjan")
    response = page.goto(f"{live_server.url}/collections/{world.collection.id}/")
    assert response is not None and response.status == 404
