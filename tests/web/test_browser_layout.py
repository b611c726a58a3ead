"""Layout fixes of issue 18 in a real Chromium, at a laptop width (1366 px) and a phone width
(375 px): the admin nav stays on one row at 1366 px, a SHA-256 value stays inside its dashboard
card, and every page has a favicon."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from accord.models.users import Role
from accord.sharing.access import standing
from accord.sharing.share import ListOptions, share
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.web.browsing import fits_width, sign_in
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
OVERFLOWING = """() => [...document.querySelectorAll('main li, main .card, main section')]
  .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.outerHTML.slice(0, 80))"""
HEADER_HEIGHT = "() => document.querySelector('header.top').getBoundingClientRect().height"
NAV_ROWS = """() => new Set([...document.querySelectorAll('header.top nav li')]
  .map(li => Math.round(li.getBoundingClientRect().top))).size"""


def test_admin_nav_one_row_and_sha256_inside_its_card(page: Page, live_server: LiveServer,
                                                      session: Session) -> None:
    hub = make_team(session, "Lotus CERT", "VN", timezone="Asia/Ho_Chi_Minh")
    partner = make_team(session, "Baltic CERT", "EE", timezone="Europe/Tallinn")
    make_user(session, hub, role=Role.ADMIN, username="admin")
    make_user(session, partner, username="kristjan")
    shared = make_collection(session, partner, "Baltic malware hashes")
    make_grant(session, shared, hub, max_tlp="amber")
    share(session, standing(session, "kristjan", str(shared.id)), SHA256 + "\n",
          ListOptions(None, (), None), "hashes.txt")
    session.commit()

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "admin")
    expect(page.get_by_text(SHA256)).to_be_visible()
    assert page.evaluate(NAV_ROWS) == 1, "the admin nav wraps at 1366 px"
    assert page.evaluate(HEADER_HEIGHT) < 64, "the header takes two rows at 1366 px"
    assert page.evaluate(OVERFLOWING) == []
    assert fits_width(page)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(f"{live_server.url}{icon}").status == 200
    screenshot(page, "dashboard-sha256-1366")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate(OVERFLOWING) == []
    assert fits_width(page)
    screenshot(page, "dashboard-sha256-375")
