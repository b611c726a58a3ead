"""Playwright helpers for the browser tests: sign in and out through the real pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.factories import PASSWORD


def sign_in(page: Page, live_server: LiveServer, username: str) -> None:
    """Sign in with the factory password and wait for the dashboard."""
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Accord")).to_be_visible()


def fits_width(page: Page) -> bool:
    """No horizontal scrolling of the whole page at the current viewport."""
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
