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

INDICATORS = ('[{"type": "indicator", "spec_version": "2.1",\n'
              '  "id": "indicator--6b0b4b2e-0d1f-4a77-9f59-0c8f3a4f1c11",\n'
              '  "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",\n'
              '  "pattern": "[ipv4-addr:value = \'203.0.113.66\']", "pattern_type": "stix",\n'
              '  "valid_from": "2026-12-01T00:00:00Z"}]')


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


def _issue(centre: Centre) -> str:  # noqa: F811 (the imported fixture's type)
    issued = centre.call("coordinator", "POST", "", json={
        "title": "Block the C2 domains", "severity": "high", "tlp": "amber", "body": BODY,
        "recipients": {"groups": ["Ministries", "Provinces"]}, "acknowledge_within": "PT1H"})
    assert issued.status_code == 201, issued.json
    return str(issued.json["ref"])


@pytest.mark.browser
def test_the_matrix_refreshes_itself_without_a_reload(
        browser: Browser, live_server: LiveServer,
        centre: Centre) -> None:  # noqa: F811 (the imported fixture)
    ref = _issue(centre)
    tab = _signed_in(browser, live_server, "centre", 1366)
    refused: list[str] = []
    tab.on("console", lambda message: refused.append(message.text)
           if "Content Security Policy" in message.text else None)
    tab.goto(f"{live_server.url}/advisories/{ref}/matrix")
    health = tab.get_by_role("row").filter(has_text="Ministry of Health")
    expect(health).to_contain_text("open")
    tab.evaluate("window.sameDocument = 'still here'")
    answered = centre.call("Ministry of Health", "POST", f"/{ref}/status",
                           json={"status": "needs-help", "note": "no patch window until Friday"})
    assert answered.status_code == 200
    expect(health).to_contain_text("no patch window until Friday", timeout=15000)  # polls 5 s
    expect(health).to_contain_text("needs-help")
    assert tab.evaluate("window.sameDocument") == "still here"  # refreshed in place
    assert refused == []
    tab.context.close()


@pytest.mark.browser
def test_coordinator_updates_then_closes_an_advisory(
        browser: Browser, live_server: LiveServer,
        centre: Centre) -> None:  # noqa: F811 (the imported fixture)
    ref = _issue(centre)
    for width in (1366, 375):
        tab = _signed_in(browser, live_server, "centre", width)
        tab.goto(f"{live_server.url}/advisories/{ref}")
        expect(tab.get_by_role("heading", name="Update or close")).to_be_visible()
        tab.get_by_label("More STIX objects (optional)").fill("[]")
        screenshot(tab, f"advisories-manage-{width}")
        tab.goto(f"{live_server.url}/advisories/new")
        tab.get_by_label("STIX objects (optional", exact=False).fill(INDICATORS)
        screenshot(tab, f"advisories-new-{width}")
        tab.context.close()

    tab = _signed_in(browser, live_server, "centre", 1366)
    tab.goto(f"{live_server.url}/advisories/{ref}")
    tab.get_by_label("Severity").select_option("critical")
    tab.get_by_label("Body (Markdown)").fill("Also block `198.51.100.7`.")
    tab.get_by_label("More STIX objects (optional)").fill('{"type": "indicator"')
    tab.get_by_role("button", name="Issue version 2").click()
    expect(tab.get_by_role("alert")).to_contain_text("objects:")
    expect(tab.get_by_label("Body (Markdown)")).to_have_value("Also block `198.51.100.7`.")
    tab.get_by_label("More STIX objects (optional)").fill("")
    tab.get_by_role("button", name="Issue version 2").click()
    expect(tab.get_by_role("status").first).to_contain_text(f"{ref} updated to version 2")
    expect(tab.locator(".lede")).to_contain_text("version 2")
    expect(tab.locator("article")).to_contain_text("198.51.100.7")
    tab.get_by_role("button", name="Close advisory").click()
    expect(tab.get_by_role("status").first).to_contain_text(f"{ref} closed.")
    expect(tab.locator(".lede")).to_contain_text("closed")
    expect(tab.get_by_role("button", name="Close advisory")).to_have_count(0)
    tab.context.close()
