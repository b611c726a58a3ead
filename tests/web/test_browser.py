"""The web interface in a real Chromium: sign in, tokens, admin pages (issue 6)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from accord.models.users import Role
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.web.browsing import sign_in
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser


def test_sign_in_and_tokens(page: Page, live_server: LiveServer, session: Session) -> None:
    cert = make_team(session, "CERT-VN", "VN", timezone="Asia/Ho_Chi_Minh")
    partner = make_team(session, "CERT-FR", "FR", timezone="Europe/Paris")
    make_user(session, cert, username="linh")
    shared = make_collection(session, partner, "FR shared indicators")
    make_grant(session, shared, cert, max_tlp="green")
    make_collection(session, cert, "VN national feed")

    page.goto(f"{live_server.url}/login")
    screenshot(page, "login")
    page.get_by_label("Username").fill("linh")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")

    sign_in(page, live_server, "linh")
    expect(page.get_by_role("cell", name="FR shared indicators")).to_be_visible()
    expect(page.locator(".tlp-green")).to_have_text("TLP:GREEN")
    screenshot(page, "dashboard")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("OpenCTI connector")
    page.get_by_label("write").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#token-secret").inner_text()
    assert len(secret) > 20
    screenshot(page, "tokens")
    page.goto(f"{live_server.url}/tokens/")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke token OpenCTI connector").click()
    expect(page.get_by_role("cell", name="revoked")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Accord")).to_be_visible()
    page.goto(f"{live_server.url}/tokens/")
    expect(page).to_have_url(re.compile(r"/login\?next=/tokens/"))


def test_admin_pages(page: Page, live_server: LiveServer, session: Session) -> None:
    hub = make_team(session, "Hub Ops", "VN")
    make_user(session, hub, role=Role.ADMIN, username="admin")
    partner = make_team(session, "CERT-JP", "JP", timezone="Asia/Tokyo")
    make_user(session, partner, username="kenji")
    collection = make_collection(session, hub, "ASEAN+ sharing")
    make_grant(session, collection, partner, max_tlp="amber+strict")
    sign_in(page, live_server, "admin")

    page.get_by_role("link", name="Teams").click()
    page.get_by_label("Name", exact=True).fill("CERT-KR")
    page.get_by_label("Country (ISO 3166-1 alpha-2)").fill("KR")
    page.get_by_label("Time zone (IANA)").fill("Asia/Seoul")
    page.get_by_role("button", name="Add team").click()
    expect(page.get_by_role("status")).to_have_text("Team CERT-KR created.")
    page.get_by_label("New group name").fill("Asia-Pacific CSIRTs")
    page.get_by_role("button", name="Create group").click()
    screenshot(page, "admin-teams")

    page.get_by_role("link", name="Collections").click()
    page.get_by_label("Team", exact=True).first.select_option("CERT-KR")
    page.get_by_role("button", name="Grant / change").first.click()
    expect(page.get_by_role("status")).to_have_text("Grant for CERT-KR saved.")
    screenshot(page, "admin-collections")

    page.get_by_role("link", name="Users").click()
    screenshot(page, "admin-users")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action starts with").fill("collection")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="collection.grant").first).to_be_visible()
    screenshot(page, "admin-audit")

    page.set_viewport_size({"width": 820, "height": 1180})
    page.get_by_role("link", name="Dashboard").click()
    screenshot(page, "dashboard-tablet")
