"""Sharing and finding intelligence in a real Chromium, with TLP enforced (issue 6).

CERT-VN shares an AMBER indicator through the form; CERT-EE (grant up to AMBER) finds it;
CERT-JP (grant up to GREEN) and CERT-FR (no grant) find it nowhere: not in the list, a search,
a count, the dashboard, nor by its URL.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.stix import StixObject
from accord.tlp import Tlp
from tests.conftest import LiveServer
from tests.factories import make_collection
from tests.taxii.conftest import indicator
from tests.web.browsing import fits_width, sign_in, sign_out
from tests.web.conftest import screenshot
from tests.web.sharing_data import GREEN_IP, World, build, store

pytestmark = pytest.mark.browser
VALUE = "malware-drop.example"


def _count_cell(page: Page, world: World) -> str:
    return page.locator(f'[data-count="{world.collection.id}"]').inner_text()


def _search(page: Page, text: str) -> None:
    """Type into the search box and submit it from the keyboard."""
    box = page.get_by_label("Value or pattern text")
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state()


def _share_through_form(page: Page) -> None:
    page.get_by_role("link", name="Share", exact=True).click()
    expect(page.get_by_role("heading", name="Share intelligence")).to_be_visible()
    form = page.get_by_role("region", name="Share one indicator")
    form.get_by_label("Collection").select_option(label="ASEAN indicators (CERT-VN)")
    form.get_by_label("Value").fill(VALUE)
    form.get_by_label("Type").select_option("domain")
    form.get_by_label("TLP").select_option("amber")
    form.get_by_label("Name (optional)").fill("Malware drop site")
    form.get_by_label("Description (optional)").fill("Serves the loader seen in the "
                                                     "November campaign.")
    form.get_by_role("button", name="Share indicator").click()
    expect(page.locator("#share-summary")).to_have_text(
        "1 object: 1 stored, 0 duplicates, 0 failed.")
    screenshot(page, "share")


def test_share_find_and_tlp_enforced(page: Page, live_server: LiveServer,
                                     session: Session) -> None:
    world = build(session)
    store(session, world.collection, world.users["kristjan"],
          indicator("evil-login.example", Tlp.GREEN, name="Credential phishing portal",
                    pattern="[domain-name:value = 'evil-login.example']"))
    baltic = make_collection(session, world.partner, "Baltic phishing reports",
                             description="Lures and kits seen by CERT-EE", default_tlp="green")
    store(session, baltic, world.users["kristjan"], indicator("192.0.2.77", Tlp.CLEAR))
    sign_in(page, live_server, "lan")
    _share_through_form(page)
    row = session.scalar(select(StixObject).where(StixObject.stix_id.like("indicator--%"),
                                                  StixObject.document.contains(VALUE)))
    assert row is not None and row.tlp == Tlp.AMBER
    object_url = f"{live_server.url}/collections/{world.collection.id}/objects/{row.stix_id}"

    page.get_by_role("link", name="Intelligence").click()
    page.get_by_role("link", name="ASEAN indicators", exact=True).click()
    _search(page, "malware-drop")
    expect(page.locator("#result-count")).to_have_text("1 object matches.")
    page.get_by_role("link", name="Malware drop site").click()
    expect(page.get_by_role("heading", name="Version")).to_contain_text("TLP:AMBER")
    expect(page.locator("pre.json")).to_contain_text(f"[domain-name:value = '{VALUE}']")
    sign_out(page)

    sign_in(page, live_server, "kristjan")
    expect(page.get_by_role("region", name="What partners shared")).to_contain_text("CERT-VN")
    screenshot(page, "dashboard-partners")
    page.get_by_role("link", name="Intelligence").click()
    expect(page.get_by_role("heading", name="Shared intelligence")).to_be_visible()
    assert _count_cell(page, world) == "4"  # green, amber, the new amber and its own green
    screenshot(page, "collections")
    page.get_by_role("link", name="ASEAN indicators", exact=True).click()
    _search(page, "example")
    expect(page.locator("#result-count")).to_have_text("2 objects match.")
    expect(page.get_by_role("link", name="Malware drop site")).to_be_visible()
    screenshot(page, "objects-search")
    page.get_by_role("link", name="Malware drop site").click()
    expect(page.get_by_text("Shared by")).to_be_visible()
    expect(page.locator("dl.provenance")).to_contain_text("lan")
    screenshot(page, "object")
    page.set_viewport_size({"width": 768, "height": 1024})
    assert fits_width(page)
    page.go_back()
    assert fits_width(page)
    sign_out(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    sign_in(page, live_server, "kenji")  # reads up to GREEN only
    assert VALUE not in page.content()
    page.get_by_role("link", name="Intelligence").click()
    assert _count_cell(page, world) == "2"
    page.get_by_role("link", name="ASEAN indicators", exact=True).click()
    expect(page.get_by_role("link", name=f"Malicious host {GREEN_IP}")).to_be_visible()
    assert VALUE not in page.content()
    _search(page, "malware-drop")
    expect(page.locator("#result-count")).to_have_text("0 objects match.")
    expect(page.get_by_role("cell", name="No object matches this search.")).to_be_visible()
    response = page.goto(object_url)
    assert response is not None and response.status == 404
    assert VALUE not in page.content()
    page.goto(f"{live_server.url}/")
    sign_out(page)

    sign_in(page, live_server, "pierre")  # no grant at all
    assert "ASEAN indicators" not in page.content()
    page.get_by_role("link", name="Intelligence").click()
    expect(page.get_by_text("Your team has no collection grants yet.")).to_be_visible()
    for url in (object_url, f"{live_server.url}/collections/{world.collection.id}/?q=malware"):
        response = page.goto(url)
        assert response is not None and response.status == 404
        assert VALUE not in page.content() and "ASEAN" not in page.content()
    page.goto(f"{live_server.url}/share/")
    expect(page.get_by_text("Your team may not write to any collection.")).to_be_visible()
    assert re.search(r"ASEAN", page.content()) is None
