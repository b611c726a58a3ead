"""In Chromium: a recipient acknowledges and reports status from the inbox, the coordinator
sees it in the matrix; screenshots of both at laptop (1366 px) and phone (375 px) width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from accord.clock import ManualClock
from tests.advisories.conftest import Centre, centre  # noqa: F401, F811 (the fixture)
from tests.conftest import LiveServer
from tests.factories import PASSWORD
from tests.web.conftest import screenshot

BODY = ("CVE-2026-0001 in the VPN gateways is exploited in the wild.\n\n"
        "1. **Patch** to 9.4.2\n2. Block `203.0.113.66`\n3. Report your status here")


def _signed_in(browser: Browser, server: LiveServer, username: str, width: int) -> Page:
    tab = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    tab.goto(f"{server.url}/login")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    return tab


@pytest.mark.browser
def test_inbox_acknowledge_status_and_matrix(browser: Browser, live_server: LiveServer,
                                             centre: Centre,  # noqa: F811 (the imported fixture)
                                             clock: ManualClock) -> None:
    issued = centre.call("coordinator", "POST", "", json={
        "title": "Patch the VPN gateways now", "severity": "critical", "tlp": "amber",
        "body": BODY, "recipients": {"groups": ["Ministries", "Provinces"]},
        "acknowledge_within": "PT1H", "status_within": "PT4H"})
    assert issued.status_code == 201, issued.json
    ref = issued.json["ref"]
    clock.advance(seconds=90 * 60)  # half an hour past the acknowledgement deadline
    early = centre.call("Ministry of Health", "POST", f"/{ref}/status",
                        json={"status": "investigating", "note": "checking 12 gateways"})
    assert early.status_code == 200

    for width in (1366, 375):
        tab = _signed_in(browser, live_server, "analyst0", width)  # Ministry of Finance
        tab.get_by_role("link", name="Advisories", exact=True).click()
        expect(tab.get_by_text("not acknowledged")).to_be_visible()
        screenshot(tab, f"advisories-inbox-{width}")
        tab.context.close()

    tab = _signed_in(browser, live_server, "analyst0", 1366)
    tab.goto(f"{live_server.url}/advisories/")
    tab.get_by_role("link", name=f"{ref} Patch the VPN gateways now").click()
    tab.get_by_role("button", name="Acknowledge").click()
    expect(tab.get_by_role("status").first).to_contain_text("acknowledged")
    tab.get_by_label("Mitigated").check()
    tab.get_by_label("Note").fill("Patched all three gateways")
    tab.get_by_role("button", name="Report status").click()
    expect(tab.get_by_role("status").first).to_contain_text("Mitigated")
    tab.context.close()

    for width in (1366, 375):
        tab = _signed_in(browser, live_server, "centre", width)
        tab.goto(f"{live_server.url}/advisories/{ref}/matrix")
        finance = tab.get_by_role("row").filter(has_text="Ministry of Finance")
        expect(finance).to_contain_text("late 30 min")
        expect(finance).to_contain_text("Patched all three gateways")
        screenshot(tab, f"advisories-matrix-{width}")
        tab.context.close()
