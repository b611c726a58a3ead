"""A headless Chromium (Debian's, no download) for the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
LAN_NAME = "hub.lan.test"
"""A name that is not loopback to the browser (so it is not a secure context) but that Chromium
resolves to 127.0.0.1: plain-HTTP-on-a-LAN tests without leaving the machine."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test` (it installs it) or "
                    "`apt-get install -y chromium`; `-m 'not browser'` leaves these tests out")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (own cookies) at laptop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    yield tab
    context.close()


def screenshots_wanted() -> bool:
    """Screenshots are written only when asked (``make screenshots`` sets ACCORD_SCREENSHOTS=1),
    so ``make test`` leaves the tracked images, and ``git status``, untouched."""
    return os.environ.get("ACCORD_SCREENSHOTS", "").strip().lower() in ("1", "true", "yes")


def screenshot(page: Page, name: str) -> Path | None:
    """Render a full-page screenshot; save it into docs/screenshots/ only when asked."""
    if not screenshots_wanted():
        page.screenshot(full_page=True)  # still rendered: a page that cannot paint fails here
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
