"""Sign-in over plain HTTP while the session cookie is Secure (issue 18): an explicit setting,
ACCORD_SESSION_COOKIE_SECURE, and a page that says plainly why signing in cannot work."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from accord.config import ConfigError, _check_cookie_secure
from accord.web.security import INSECURE_TRANSPORT
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.web.conftest import LAN_NAME, screenshot
from tests.web.helpers import csrf_from

LAN = "http://192.168.1.20:8000"


@pytest.mark.parametrize(("value", "env", "expected"), [
    (None, "production", True), (None, "demo", True), (None, "development", False),
    (None, "testing", False), (False, "production", False), ("false", "production", False),
    ("0", "production", False), ("on", "development", True), (True, "testing", True),
])
def test_setting_is_explicit_with_a_safe_default(value: object, env: str,
                                                 expected: bool) -> None:
    assert _check_cookie_secure(value, env) is expected


def test_setting_refuses_nonsense() -> None:
    with pytest.raises(ConfigError, match="ACCORD_SESSION_COOKIE_SECURE must be true or false"):
        _check_cookie_secure("maybe", "production")


def test_secure_cookie_over_plain_http_on_a_lan_address_is_explained(app: Flask) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    page = app.test_client().get("/login", base_url=LAN)
    assert page.status_code == 200
    assert INSECURE_TRANSPORT in page.get_data(as_text=True)
    assert "Secure" in page.headers["Set-Cookie"]


@pytest.mark.parametrize("base_url", ["https://hub.cert.example", "http://127.0.0.1:8000",
                                      "http://localhost:8000"])
def test_no_warning_where_the_cookie_works(app: Flask, base_url: str) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    page = app.test_client().get("/login", base_url=base_url)
    assert "ACCORD_SESSION_COOKIE_SECURE" not in page.get_data(as_text=True)


def test_no_warning_when_secure_cookies_are_off(app: Flask) -> None:
    app.config["SESSION_COOKIE_SECURE"] = False
    page = app.test_client().get("/login", base_url=LAN)
    assert "ACCORD_SESSION_COOKIE_SECURE" not in page.get_data(as_text=True)
    assert "Secure" not in page.headers["Set-Cookie"]


def test_post_without_the_dropped_cookie_says_why(app: Flask, session: Session) -> None:
    """What a browser does on a LAN address: the Secure cookie never comes back."""
    make_user(session, username="alice")
    app.config["SESSION_COOKIE_SECURE"] = True
    response = app.test_client(use_cookies=False).post(
        "/login", base_url=LAN, data={"username": "alice", "password": PASSWORD,
                                      "csrf_token": "from-a-page-whose-cookie-was-dropped"})
    assert response.status_code == 400
    assert "opened over plain HTTP" in response.get_data(as_text=True)


def test_plain_http_signs_in_when_secure_cookies_are_off(app: Flask, session: Session) -> None:
    make_user(session, username="alice")
    app.config["SESSION_COOKIE_SECURE"] = False
    client = app.test_client()
    token = csrf_from(client.get("/login", base_url=LAN))
    response = client.post("/login", base_url=LAN, data={
        "username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.browser
def test_browser_on_a_lan_name_sees_the_explanation(app: Flask, session: Session, browser: Browser,
                                                    live_server: LiveServer) -> None:
    """A real Chromium on a non-loopback name (mapped to 127.0.0.1, so nothing leaves the
    machine) drops the Secure cookie; the page says why before the user even tries."""
    make_user(session, username="alice")
    app.config["SESSION_COOKIE_SECURE"] = True
    port = live_server.url.rsplit(":", 1)[1]
    for width in (1366, 375):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        try:
            page.goto(f"http://{LAN_NAME}:{port}/login")
            expect(page.locator("#transport-warning")).to_contain_text("opened over plain HTTP")
            screenshot(page, f"login-plain-http-{width}")
            page.get_by_label("Username").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("opened over plain HTTP")).to_be_visible()
        finally:
            context.close()
