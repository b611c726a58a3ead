"""Exercise pages: EXCON console controls the run, players see and answer their inbox."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.users import Role
from exercises.demo import seed_demo_exercise
from exercises.models import Exercise, ExerciseResponse
from tests.conftest import LiveServer
from tests.factories import make_team, make_user
from tests.web.conftest import screenshot
from tests.web.helpers import csrf_from, sign_in


def _world(session: Session) -> Exercise:
    lead = make_team(session, "Lotus CERT", "VN", timezone="Asia/Ho_Chi_Minh")
    north = make_team(session, "Baltic CERT", "EE", timezone="Europe/Tallinn")
    make_team(session, "Andes CERT", "CL", timezone="America/Santiago")
    outsider = make_team(session, "Outsider CERT", "FR", timezone="Europe/Paris")
    make_user(session, lead, Role.COORDINATOR, "coordinator")
    make_user(session, north, username="kristjan")
    make_user(session, outsider, username="pierre")
    seed_demo_exercise(session)
    return session.scalars(select(Exercise)).one()


def _first_inject_for(run: Exercise, placeholder: str) -> str:
    for inject in sorted(run.injects, key=lambda i: i.sequence):
        audience = run.document["injects"][inject.sequence - 1].get("audience", [])
        if placeholder in audience or "all" in audience:
            return inject.key
    raise AssertionError("no inject for " + placeholder)


def test_console_release_and_player_response(app: Flask, session: Session) -> None:
    run = _world(session)
    excon = app.test_client()
    sign_in(excon, "coordinator")
    page = excon.get(f"/exercises/{run.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Timeline: planned vs actual" in body and "Release now" in body
    key = _first_inject_for(run, "north")
    response = excon.post(f"/exercises/{run.id}/injects/{key}/release",
                          data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    console = response.get_data(as_text=True)
    assert f"Inject {key}: release done." in console
    # Released ahead of plan: the delay reads as time early, and open deadlines count down.
    assert re.search(r"<td>-\d+[hms][ 0-9hms]*</td>", console)
    assert 'data-passed="deadline passed"' in console

    player = app.test_client()
    sign_in(player, "kristjan")
    inbox = player.get(f"/exercises/{run.id}")
    text = inbox.get_data(as_text=True)
    assert "Inbox of Baltic CERT" in text and "Release now" not in text
    csrf = csrf_from(inbox)
    player.post(f"/exercises/{run.id}/inbox/{key}", data={"kind": "acknowledge",
                                                         "csrf_token": csrf})
    player.post(f"/exercises/{run.id}/inbox/{key}", data={"text": "Blocking the C2 at the edge",
                                                         "csrf_token": csrf})
    kinds = sorted(r.kind for r in session.scalars(select(ExerciseResponse)))
    assert kinds == ["acknowledge", "response"]
    assert "Blocking the C2 at the edge" in player.get(f"/exercises/{run.id}/live").get_data(
        as_text=True)
    forbidden = player.post(f"/exercises/{run.id}/control/pause", data={"csrf_token": csrf})
    assert forbidden.status_code == 403


def test_outsider_cannot_see_the_exercise(app: Flask, session: Session) -> None:
    run = _world(session)
    client = app.test_client()
    sign_in(client, "pierre")
    assert run.name not in client.get("/exercises/").get_data(as_text=True)
    assert client.get(f"/exercises/{run.id}").status_code in (403, 404)
    assert client.get(f"/exercises/{run.id}/live").status_code in (403, 404)


@pytest.mark.browser
def test_console_and_inbox_in_browser(page: Page, live_server: LiveServer,
                                      session: Session) -> None:
    run = _world(session)
    key = _first_inject_for(run, "north")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Exercises").click()
    page.get_by_role("link", name=run.name).click()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"in \d+h \d\dm \d\ds"))
    page.locator(f"form[action$='/injects/{key}/release'] button").click()
    expect(page.get_by_role("status").first).to_contain_text("release done")
    screenshot(page, "exercise-console")

    browser = page.context.browser
    assert browser is not None
    player = browser.new_context(viewport={"width": 1024, "height": 768})
    tab = player.new_page()
    tab.goto(f"{live_server.url}/login")
    tab.get_by_label("Username").fill("kristjan")
    tab.get_by_label("Password").fill("correct-horse-battery")
    tab.get_by_role("button", name="Sign in").click()
    tab.goto(f"{live_server.url}/exercises/{run.id}")
    tab.get_by_role("button", name="Acknowledge").first.click()
    tab.get_by_label("Response").first.fill("Blocking the C2 at the edge")
    tab.get_by_role("button", name="Send response").first.click()
    expect(tab.get_by_text("response by kristjan")).to_be_visible()
    screenshot(tab, "exercise-inbox")
    player.close()


def test_evaluator_judges_and_report_downloads(app: Flask, session: Session) -> None:
    run = _world(session)
    excon = app.test_client()
    sign_in(excon, "coordinator")
    page = excon.get(f"/exercises/{run.id}")
    key = _first_inject_for(run, "north")
    excon.post(f"/exercises/{run.id}/injects/{key}/release", data={"csrf_token": csrf_from(page)})
    page = excon.get(f"/exercises/{run.id}")
    body = page.get_data(as_text=True)
    result_id = re.search(r"/expectations/([^/]+)/judge", body)
    assert result_id, "coordinator sees judge forms"
    url = f"/exercises/{run.id}/expectations/{result_id.group(1)}/judge"
    csrf = csrf_from(page)
    refused = excon.post(url, data={"verdict": "met", "csrf_token": csrf}, follow_redirects=True)
    assert "note: give the reason" in refused.get_data(as_text=True)
    response = excon.post(url, data={"verdict": "met", "note": "acknowledged by phone",
                                     "csrf_token": csrf}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Verdict recorded." in text and "acknowledged by phone" in text
    html = excon.get(f"/exercises/{run.id}/report?format=html")
    assert html.status_code == 200 and "<svg" in html.get_data(as_text=True)
    assert "script-src" not in html.headers["Content-Security-Policy"]
    md = excon.get(f"/exercises/{run.id}/report?format=markdown")
    assert md.headers["Content-Disposition"].endswith('.md"')
    assert excon.get(f"/exercises/{run.id}/report?format=pdf",
                     headers={"Accept": "text/html"}).status_code == 400
