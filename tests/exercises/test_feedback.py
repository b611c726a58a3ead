"""Feedback and lessons forms stay open after ENDEX for the scenario's window, without moving
the end of play; they close after it, and at ENDEX when the scenario gives no window."""

from __future__ import annotations

import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.audit import AuditEvent
from exercises.models import Exercise
from exercises.reports import data as report_data
from exercises.runs import control
from exercises.scenarios import scenario_format
from exercises.scenarios.checking import ScenarioInvalid
from tests.exercises.conftest import World, api
from tests.exercises.playdrill import running, scenario


def _ended(session: Session, world: World, app: Flask, window: str | None) -> Exercise:
    run = running(session, world.users["coordinator"], app)
    if window:
        run.document = {**run.document, "feedback_window": window}
    control.complete(session, run, world.users["coordinator"])
    session.commit()
    return run


def test_forms_stay_open_for_the_window_after_endex(bound_app: Flask, client: FlaskClient,
                                                    session: Session, world: World,
                                                    clock: ManualClock) -> None:
    run = _ended(session, world, bound_app, "PT48H")
    ended_at, end_at = run.ended_at, run.end_at
    clock.advance(hours=47)
    sent = api(client, world, "kristjan", "POST", f"/{run.id}/feedback",
               json={"kind": "lesson", "text": "Agree the press line before STARTEX"})
    assert sent.status_code == 201
    api(client, world, "lan", "POST", f"/{run.id}/feedback",
        json={"kind": "feedback", "text": "Injects were realistic"})
    mine = api(client, world, "kristjan", "GET", f"/{run.id}/feedback").json
    assert mine["open"] is True and [e["author"] for e in mine["entries"]] == ["kristjan"]
    assert len(api(client, world, "evaluator", "GET", f"/{run.id}/feedback").json["entries"]) == 2
    session.expire_all()
    assert (run.ended_at, run.end_at) == (ended_at, end_at)  # the end of play did not move
    report = report_data.build(session, run)
    assert [n["text"] for n in report["lessons"]] == ["Agree the press line before STARTEX"]
    assert any(n["kind"] == "feedback" for n in report["observations"])
    authors = session.scalars(select(AuditEvent.actor_name).where(
        AuditEvent.action == "exercise.feedback.submit")).all()
    assert sorted(str(name) for name in authors) == ["kristjan", "lan"]  # one tick: no order
    clock.advance(hours=2)
    late = api(client, world, "kristjan", "POST", f"/{run.id}/feedback",
               json={"kind": "feedback", "text": "late"})
    assert late.status_code == 409 and "are closed since" in late.json["message"]


def test_without_a_window_the_forms_close_at_endex(bound_app: Flask, client: FlaskClient,
                                                   session: Session, world: World) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    during = api(client, world, "lan", "POST", f"/{run.id}/feedback",
                 json={"kind": "feedback", "text": "Going well"})
    assert during.status_code == 201
    for body, reason in [({"kind": "rant", "text": "x"}, "kind: must be one of"),
                         ({"kind": "lesson", "text": " "}, "text: must not be empty"),
                         ({"text": "x"}, "kind: required")]:
        bad = api(client, world, "lan", "POST", f"/{run.id}/feedback", json=body)
        assert bad.status_code == 400 and reason in bad.json["message"]
    control.complete(session, run)
    session.commit()
    closed = api(client, world, "lan", "POST", f"/{run.id}/feedback",
                 json={"kind": "feedback", "text": "x"})
    assert closed.status_code == 409
    assert api(client, world, "evaluator", "POST", f"/{run.id}/feedback",
               json={"kind": "feedback", "text": "x"}).status_code == 403


def test_the_window_is_validated() -> None:
    document = scenario()
    document["feedback_window"] = "two days"
    try:
        scenario_format.parse(yaml.safe_dump(document))
    except ScenarioInvalid as exc:
        assert [str(p) for p in exc.problems] == [
            "feedback_window: not an ISO 8601 duration (e.g. PT15M, PT1H30M, P1DT2H)"]
    else:
        raise AssertionError("an invalid window was accepted")
    document["feedback_window"] = "P2D"
    assert scenario_format.parse(yaml.safe_dump(document))["feedback_window"] == "P2D"
