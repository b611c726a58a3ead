"""The schedule form: team mapping, a time-zone preview per team, and scheduling (issue 6)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.users import Role
from exercises.models import Exercise, ExerciseState
from tests.conftest import LiveServer
from tests.exercises.conftest import import_sample
from tests.factories import make_team, make_user
from tests.web.browsing import fits_width
from tests.web.browsing import sign_in as browser_sign_in
from tests.web.conftest import screenshot
from tests.web.helpers import csrf_from, sign_in

START = "2031-03-10T09:00"  # read in Asia/Ho_Chi_Minh (UTC+7): 02:00 UTC


def _setup(session: Session) -> str:
    lead = make_team(session, "Lotus CERT", "VN", timezone="Asia/Ho_Chi_Minh")
    north = make_team(session, "Baltic CERT", "EE", timezone="Europe/Tallinn")
    make_team(session, "Andes CERT", "CL", timezone="America/Santiago")
    make_user(session, lead, Role.COORDINATOR, "coordinator")
    make_user(session, north, Role.EVALUATOR, "evaluator")
    make_user(session, lead, Role.ANALYST, "lan")
    return import_sample(session)


def _form(scenario_id: str, csrf: str, intent: str, **extra: str | list[str]
          ) -> dict[str, object]:
    return {"csrf_token": csrf, "scenario": scenario_id, "name": "Harbour Lights March",
            "start": START, "timezone": "Asia/Ho_Chi_Minh", "team-lead": "Lotus CERT",
            "team-north": "Baltic CERT", "team-south": "Andes CERT",
            "evaluators": ["evaluator"], "intent": intent, **extra}


def test_preview_shows_each_team_its_own_time_then_schedules(app: Flask, session: Session
                                                              ) -> None:
    scenario_id = _setup(session)
    client = app.test_client()
    sign_in(client, "coordinator")
    page = client.get(f"/exercises/schedule/?scenario={scenario_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="team-lead"' in html and 'name="team-south"' in html

    preview = client.post("/exercises/schedule/", data=_form(scenario_id, csrf_from(page),
                                                             "preview"))
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Time-zone preview" in text
    assert "Mon 10 Mar 02:00" in text  # UTC
    assert "Mon 10 Mar 09:00 +07" in text  # Lotus, Asia/Ho_Chi_Minh
    assert "Mon 10 Mar 04:00 EET" in text  # Baltic, Europe/Tallinn
    assert "Sun 09 Mar 23:00 -03" in text  # Andes, America/Santiago (summer time)
    assert session.scalar(select(Exercise)) is None  # a preview stores nothing

    done = client.post("/exercises/schedule/", data=_form(scenario_id, csrf_from(preview),
                                                          "schedule"), follow_redirects=True)
    assert "Exercise Harbour Lights March scheduled." in done.get_data(as_text=True)
    run = session.scalar(select(Exercise))
    assert run is not None and run.state == ExerciseState.SCHEDULED
    assert run.start_at.isoformat() == "2031-03-10T02:00:00+00:00"
    assert {t.placeholder: t.team.name for t in run.teams} == {
        "lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"}


def test_missing_team_is_shown_in_place_and_analysts_cannot_schedule(app: Flask,
                                                                     session: Session) -> None:
    scenario_id = _setup(session)
    client = app.test_client()
    sign_in(client, "coordinator")
    page = client.get(f"/exercises/schedule/?scenario={scenario_id}")
    data = _form(scenario_id, csrf_from(page), "schedule")
    data.pop("team-south")
    refused = client.post("/exercises/schedule/", data=data)
    assert refused.status_code == 400
    assert "teams: choose a team for south" in refused.get_data(as_text=True)
    assert session.scalar(select(Exercise)) is None

    analyst = app.test_client()
    sign_in(analyst, "lan")
    assert analyst.get("/exercises/schedule/").status_code == 403


@pytest.mark.browser
def test_schedule_form_in_the_browser(page: Page, live_server: LiveServer, session: Session
                                      ) -> None:
    scenario_id = _setup(session)
    browser_sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server.url}/exercises/")
    page.get_by_role("link", name="Schedule an exercise").click()
    page.get_by_label("Scenario").select_option(scenario_id)
    page.get_by_role("button", name="Choose").click()
    page.get_by_label("Start (local date and time)").fill(START)
    page.get_by_label("Time zone of that start").select_option("Asia/Ho_Chi_Minh")
    for placeholder, team in (("lead", "Lotus CERT"), ("north", "Baltic CERT"),
                              ("south", "Andes CERT")):
        page.locator(f"#t-{placeholder}").select_option(team)
    page.get_by_role("button", name="Preview times").click()
    preview = page.get_by_role("region", name="Time-zone preview")
    expect(preview).to_contain_text("Mon 10 Mar 04:00 EET")
    assert fits_width(page)
    screenshot(page, "exercise-schedule")
    page.get_by_role("button", name="Schedule exercise").click()
    expect(page.locator(".flash-success")).to_have_text("Exercise Harbour Lights drill scheduled.")
