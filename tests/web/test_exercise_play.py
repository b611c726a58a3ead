"""Playing from the browser: answers and decisions from the inbox, messages between teams,
and a conditional inject released by the scheduler once a team's answer met its action."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.users import Role
from exercises.judging import evaluation
from exercises.models import Exercise, ExerciseInject, InjectState
from exercises.runs import control
from tests.conftest import LiveServer
from tests.exercises.playdrill import running
from tests.exercises.test_runner import scheduler, wait_for  # noqa: F401  (fixture)
from tests.factories import make_team, make_user
from tests.web.browsing import sign_in as browser_sign_in
from tests.web.conftest import screenshot
from tests.web.helpers import csrf_from, sign_in


def _world(session: Session, app: Flask | None = None, delay: str = "PT2M") -> Exercise:
    lead = make_team(session, "Lotus CERT", "VN", timezone="Asia/Ho_Chi_Minh")
    north = make_team(session, "Baltic CERT", "EE", timezone="Europe/Tallinn")
    south = make_team(session, "Andes CERT", "CL", timezone="America/Santiago")
    coordinator = make_user(session, lead, Role.COORDINATOR, "coordinator")
    make_user(session, lead, Role.ANALYST, "lan")
    make_user(session, north, Role.ANALYST, "kristjan")
    make_user(session, south, Role.ANALYST, "valentina")
    return running(session, coordinator, app, delay=delay)


def _verdicts(session: Session, run: Exercise, team: str) -> dict[str, str]:
    session.expire_all()
    return {r.action_key: r.verdict.value for r in evaluation.results(session, run)
            if r.team.name == team}


def _tab(browser: Browser, live_server: LiveServer, username: str, run: Exercise) -> Page:
    tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    browser_sign_in(tab, live_server, username)
    tab.goto(f"{live_server.url}/exercises/{run.id}")
    return tab


def test_inbox_forms_record_answers_decisions_and_sign_offs(app: Flask, session: Session
                                                            ) -> None:
    run = _world(session, app)
    player = app.test_client()
    sign_in(player, "lan")
    page = player.get(f"/exercises/{run.id}")
    html = page.get_data(as_text=True)
    assert "Answers the expected action" in html and "Record decision" in html
    assert "Sign off" in html and "Messages" in html
    csrf = csrf_from(page)
    url = f"/exercises/{run.id}/inbox/A"
    vague = player.post(url, data={"text": "INC-1", "csrf_token": csrf}, follow_redirects=True)
    assert "name one of: poc, press, record, statement" in vague.get_data(as_text=True)
    player.post(url, data={"text": "INC-1", "action": "record", "csrf_token": csrf})
    player.post(url, data={"decision": "wait", "action": "press", "csrf_token": csrf})
    player.post(url, data={"kind": "signoff", "decision": "joint statement",
                           "action": "statement", "csrf_token": csrf})
    assert _verdicts(session, run, "Lotus CERT") == {
        "poc": "pending", "press": "met", "record": "met", "statement": "pending"}
    live = player.get(f"/exercises/{run.id}/live").get_data(as_text=True)
    assert "Lotus CERT: joint statement" in live and "decision by lan for press: wait" in live


def test_console_shows_every_thread_and_excon_replies(app: Flask, session: Session) -> None:
    run = _world(session, app)
    player = app.test_client()
    sign_in(player, "kristjan")
    page = player.get(f"/exercises/{run.id}")
    player.post(f"/exercises/{run.id}/threads", data={
        "csrf_token": csrf_from(page), "to": ["south", "excon"], "subject": "Need a hand",
        "text": "Can Andes check its logs?"})
    excon = app.test_client()
    sign_in(excon, "coordinator")
    console = excon.get(f"/exercises/{run.id}")
    text = console.get_data(as_text=True)
    assert "Need a hand" in text and "Can Andes check its logs?" in text
    assert "New message from EXCON" in text
    reply = next(line for line in text.splitlines() if "/reply" in line)
    action = reply.split('action="')[1].split('"')[0]
    done = excon.post(action, data={"csrf_token": csrf_from(console), "as": "excon",
                                    "text": "Andes, please answer"}, follow_redirects=True)
    assert "Reply sent." in done.get_data(as_text=True)
    lan = app.test_client()
    sign_in(lan, "lan")
    assert "Need a hand" not in lan.get(f"/exercises/{run.id}").get_data(as_text=True)
    andes = app.test_client()
    sign_in(andes, "valentina")
    assert "Andes, please answer" in andes.get(f"/exercises/{run.id}").get_data(as_text=True)


def test_feedback_form_after_endex(app: Flask, session: Session) -> None:
    run = _world(session, app)
    run.document = {**run.document, "feedback_window": "PT24H"}
    control.complete(session, run)
    session.commit()
    player = app.test_client()
    sign_in(player, "kristjan")
    page = player.get(f"/exercises/{run.id}")
    assert "Send feedback" in page.get_data(as_text=True)
    done = player.post(f"/exercises/{run.id}/feedback", follow_redirects=True, data={
        "csrf_token": csrf_from(page), "kind": "lesson", "text": "Share the C2 list earlier"})
    text = done.get_data(as_text=True)
    assert "Thank you: feedback recorded." in text and "Share the C2 list earlier" in text


@pytest.mark.browser
def test_player_answers_and_decides_from_the_inbox(browser: Browser, live_server: LiveServer,
                                                   session: Session) -> None:
    run = _world(session)
    tab = _tab(browser, live_server, "lan", run)
    inbox = tab.get_by_role("article", name="Ransomware at the port")
    # Typing first keeps the live region from refreshing under the form.
    inbox.get_by_label("Response", exact=True).fill("INC-2231 opened in the national tracker")
    inbox.get_by_label("Answers the expected action").select_option(
        label="Open an incident record")
    inbox.get_by_role("button", name="Send response").click()
    expect(tab.get_by_role("status").first).to_contain_text("Recorded for inject A.")
    inbox = tab.get_by_role("article", name="Ransomware at the port")
    inbox.get_by_label("Rationale: Decide on a press line").fill("Facts first")
    inbox.get_by_label("Decision: Decide on a press line").select_option("wait")
    inbox.get_by_role("button", name="Record decision").click()
    expect(tab.get_by_role("status").first).to_contain_text("Recorded for inject A.")
    inbox = tab.get_by_role("article", name="Ransomware at the port")
    choice = inbox.get_by_label("Decision: Agree a joint statement")
    choice.focus()
    choice.select_option("joint statement")
    inbox.get_by_role("button", name="Sign off").click()
    expect(tab.get_by_text("sign-offs: Lotus CERT: joint statement")).to_be_visible()
    expect(tab.get_by_text("decision by lan for press: wait Facts first")).to_be_visible()
    screenshot(tab, "exercise-inbox-decisions")
    assert _verdicts(session, run, "Lotus CERT") == {
        "poc": "pending", "press": "met", "record": "met", "statement": "pending"}
    tab.context.close()


@pytest.mark.browser
def test_two_teams_exchange_messages(browser: Browser, live_server: LiveServer,
                                     session: Session) -> None:
    run = _world(session)
    north = _tab(browser, live_server, "kristjan", run)
    north.get_by_label("Subject").fill("Shared C2?")
    north.get_by_label("Message", exact=True).fill("Do you see 198.51.100.23 too?")
    north.get_by_label("Lotus CERT").check()
    north.get_by_role("button", name="Send message").click()
    expect(north.get_by_role("status").first).to_contain_text("Message sent.")

    lead = _tab(browser, live_server, "lan", run)
    thread = lead.get_by_role("article", name="Shared C2?")
    expect(thread).to_contain_text("Do you see 198.51.100.23 too?")
    thread.get_by_label("Reply to Shared C2?").fill("Yes, since 02:10 UTC")
    thread.get_by_role("button", name="Reply").click()
    expect(lead.get_by_role("status").first).to_contain_text("Reply sent.")

    north.reload()
    expect(north.get_by_role("article", name="Shared C2?")).to_contain_text(
        "Yes, since 02:10 UTC")
    screenshot(north, "exercise-messages")
    lead.context.close()
    north.context.close()


@pytest.mark.browser
def test_a_met_action_releases_a_conditional_inject(browser: Browser, live_server: LiveServer,
                                                    session: Session, app: Flask,
                                                    scheduler: Callable[[], None]  # noqa: F811
                                                    ) -> None:
    scheduler()
    run = _world(session, app, delay="PT0S")
    tab = _tab(browser, live_server, "lan", run)
    expect(tab.get_by_role("heading", name="Attackers notice the response")).to_have_count(0)
    inbox = tab.get_by_role("article", name="Ransomware at the port")
    inbox.get_by_label("Response", exact=True).fill("INC-2231 opened")
    inbox.get_by_label("Answers the expected action").select_option(
        label="Open an incident record")
    inbox.get_by_role("button", name="Send response").click()
    expect(tab.get_by_role("status").first).to_contain_text("Recorded for inject A.")

    def released() -> bool:
        session.expire_all()
        row = session.scalar(select(ExerciseInject).where(
            ExerciseInject.exercise_id == run.id, ExerciseInject.key == "B"))
        return row is not None and row.state == InjectState.RELEASED

    assert wait_for(released)  # the scheduler fired the job the answer created
    expect(tab.get_by_role("heading", name="Attackers notice the response")).to_be_visible(
        timeout=15000)  # the live region polls every 5 s
    screenshot(tab, "exercise-conditional-inject")
    tab.context.close()
