"""Scenario library page: upload with problems shown in place (issue 6)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy.orm import Session

from accord.models.users import Role
from exercises.scenarios import library
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.web.conftest import screenshot
from tests.web.helpers import csrf_from, sign_in

BROKEN = "title: Broken drill\nversion: 1\ninjects: not-a-list\n"


def test_upload_valid_and_invalid(app: Flask, session: Session) -> None:
    make_user(session, username="excon", role=Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, "excon")
    csrf = csrf_from(client.get("/scenarios/"))
    bad = client.post("/scenarios/", data={"csrf_token": csrf,
                                           "file": (io.BytesIO(BROKEN.encode()), "broken.yaml")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "The scenario is not valid" in page and "<code>injects</code>" in page
    good = client.post("/scenarios/", data={
        "csrf_token": csrf,
        "file": (io.BytesIO(library.sample_text("cable-cut").encode()), "cable-cut.yaml")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "imported." in good.get_data(as_text=True)
    assert len(library.list_scenarios(session)) == 1


def test_analysts_cannot_upload(app: Flask, session: Session) -> None:
    make_user(session, username="ana")
    client = app.test_client()
    sign_in(client, "ana")
    assert client.get("/scenarios/").status_code == 403


@pytest.mark.browser
def test_upload_errors_in_browser(page: Page, live_server: LiveServer, session: Session
) -> None:
    make_user(session, username="excon", role=Role.COORDINATOR)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill("excon")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Scenarios").click()
    page.get_by_label("Scenario file").set_input_files(
        files=[FilePayload(name="broken.yaml", mimeType="application/yaml",
                           buffer=BROKEN.encode())])
    page.get_by_role("button", name="Validate and import").click()
    expect(page.get_by_role("alert")).to_contain_text("The scenario is not valid")
    screenshot(page, "scenario-upload-errors")
