"""Live control: pause/resume shifting, release now, hold, skip, cancel, ENDEX."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from exercises.models import Exercise, ExpectationResult
from exercises.runs import job_functions, job_sync
from tests.exercises.conftest import World, api, schedule


def _running(session: Session, world: World, app: Flask) -> Exercise:
    run = schedule(session, world, start=utcnow(), app=app)
    job_functions.start_exercise(str(run.id))
    session.expire_all()
    return run


def _due(session: Session, run: Exercise) -> dict[str, datetime | None]:
    session.expire_all()
    reread = session.get(Exercise, run.id)
    assert reread is not None
    return {i.key: i.due_at for i in reread.injects}


def test_pause_and_resume_shift_every_later_inject(bound_app: Flask, client: FlaskClient,
                                                   session: Session, world: World,
                                                   clock: ManualClock) -> None:
    run = _running(session, world, bound_app)
    assert run.state.value == "running" and run.started_at is not None
    released = api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-01/release")
    assert released.status_code == 200, released.json
    before = _due(session, run)
    ack_deadline = session.query(ExpectationResult).filter_by(action_key="ack").first()
    assert ack_deadline is not None
    deadline_before = ack_deadline.deadline_at
    end_before = run.end_at
    paused = api(client, world, "coordinator", "POST", f"/{run.id}/pause")
    assert paused.status_code == 200 and paused.json["state"] == "paused"
    assert set(job_sync.scheduled_jobs(bound_app, run.id)) == set()  # nothing fires while paused
    clock.advance(seconds=0.6)
    resumed = api(client, world, "coordinator", "POST", f"/{run.id}/resume")
    assert resumed.status_code == 200 and resumed.json["state"] == "running"
    assert resumed.json["paused_seconds"] >= 0.6
    after = _due(session, run)
    due_before, due_after = before["INJ-02"], after["INJ-02"]
    assert due_before is not None and due_after is not None
    shift = due_after - due_before
    assert abs(shift.total_seconds() - resumed.json["paused_seconds"]) < 0.001
    assert after["INJ-01"] == before["INJ-01"]  # already released: unchanged
    for key in ("INJ-03", "INJ-07"):
        due = before[key]
        assert due is not None and after[key] == due + shift
    session.expire_all()
    reread = session.get(Exercise, run.id)
    assert reread is not None
    assert reread.end_at == end_before + shift
    session.refresh(ack_deadline)
    assert ack_deadline.deadline_at == deadline_before + shift  # open deadline moved too
    stored = job_sync.scheduled_jobs(bound_app, run.id)
    assert stored[f"exercise:{run.id}:inject:INJ-02"] == after["INJ-02"]
    planned = {i["key"]: i["planned_at"] for i in resumed.json["injects"]}
    assert planned["INJ-02"] == (run.start_at + timedelta(minutes=20)).isoformat()


def test_release_now_delivers_only_to_the_audience(bound_app: Flask, client: FlaskClient,
                                                   session: Session, world: World) -> None:
    run = _running(session, world, bound_app)
    response = api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-02/release")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "released" and response.json["release_mode"] == "manual"
    assert f"exercise:{run.id}:inject:INJ-02" not in job_sync.scheduled_jobs(bound_app, run.id)
    north = api(client, world, "kristjan", "GET", f"/{run.id}/inbox").json
    assert [i["inject"] for i in north["injects"]] == ["INJ-02"]
    assert north["injects"][0]["released_at_local"].endswith("+02:00")
    assert north["injects"][0]["expected_actions"][0]["id"] == "share-c2"
    assert "controller_notes" not in north["injects"][0]
    lead = api(client, world, "lan", "GET", f"/{run.id}/inbox").json
    assert lead["injects"] == []
    again = api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-02/release")
    assert again.status_code == 409
    # The scheduled job firing afterwards changes nothing.
    job_functions.fire_inject(str(run.id), "INJ-02")
    assert len(api(client, world, "kristjan", "GET", f"/{run.id}/inbox").json["injects"]) == 1


def test_hold_unhold_skip_and_release_a_held_inject(bound_app: Flask, client: FlaskClient,
                                                    session: Session, world: World) -> None:
    run = _running(session, world, bound_app)
    prefix = f"exercise:{run.id}:inject:"
    held = api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-03/hold")
    assert held.status_code == 200 and held.json["held"] is True
    assert prefix + "INJ-03" not in job_sync.scheduled_jobs(bound_app, run.id)
    # A held inject's job, had it already been queued, does not release it.
    job_functions.fire_inject(str(run.id), "INJ-03")
    assert api(client, world, "lan", "GET", f"/{run.id}/inbox").json["injects"] == []
    api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-03/unhold")
    assert prefix + "INJ-03" in job_sync.scheduled_jobs(bound_app, run.id)
    skipped = api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-05/skip")
    assert skipped.json["state"] == "skipped"
    assert api(client, world, "coordinator", "POST",
               f"/{run.id}/injects/INJ-05/release").status_code == 409
    contingency = api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-06/release")
    assert contingency.status_code == 200 and contingency.json["state"] == "released"
    assert api(client, world, "coordinator", "POST",
               f"/{run.id}/injects/NOPE/release").status_code == 400
    assert api(client, world, "coordinator", "POST",
               f"/{run.id}/injects/INJ-01/explode").status_code == 400
    assert api(client, world, "lan", "POST",
               f"/{run.id}/injects/INJ-01/release").status_code == 403


def test_cancel_removes_every_job(bound_app: Flask, client: FlaskClient, session: Session,
                                  world: World) -> None:
    run = schedule(session, world, app=bound_app)
    assert job_sync.scheduled_jobs(bound_app, run.id)
    cancelled = api(client, world, "coordinator", "POST", f"/{run.id}/cancel",
                    json={"reason": "Storm warning"})
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert {i["state"] for i in cancelled.json["injects"]} == {"cancelled"}
    assert job_sync.scheduled_jobs(bound_app, run.id) == {}
    assert api(client, world, "coordinator", "POST", f"/{run.id}/pause").status_code == 409


def test_cli_controls_a_run(bound_app: Flask, session: Session, world: World) -> None:
    run = _running(session, world, bound_app)
    runner = bound_app.test_cli_runner()
    result = runner.invoke(args=["exercise", "release", str(run.id), "INJ-01", "--as",
                                 "coordinator"])
    assert result.exit_code == 0, result.output
    assert "INJ-01" in result.output and "released" in result.output
    result = runner.invoke(args=["exercise", "pause", run.name])
    assert result.exit_code == 0 and ": paused" in result.output
    result = runner.invoke(args=["exercise", "pause", run.name])
    assert result.exit_code == 1 and "cannot pause" in result.output
    assert runner.invoke(args=["exercise", "resume", run.name]).exit_code == 0
    assert runner.invoke(args=["exercise", "hold", run.name, "INJ-02"]).exit_code == 0
    assert runner.invoke(args=["exercise", "skip", run.name, "INJ-03"]).exit_code == 0
    status = runner.invoke(args=["exercise", "status", run.name])
    assert "pending (held)" in status.output and "skipped" in status.output
    assert "Baltic CERT (north): start" in status.output
    ended = runner.invoke(args=["exercise", "end", run.name])
    assert ended.exit_code == 0 and ": completed" in ended.output
    assert job_sync.scheduled_jobs(bound_app, run.id) == {}


def test_an_inject_released_during_a_pause_keeps_its_full_deadline(
        bound_app: Flask, client: FlaskClient, session: Session, world: World,
        clock: ManualClock) -> None:
    run = _running(session, world, bound_app)
    api(client, world, "coordinator", "POST", f"/{run.id}/pause")
    clock.advance(seconds=0.3)
    api(client, world, "coordinator", "POST", f"/{run.id}/injects/INJ-02/release")
    clock.advance(seconds=0.3)
    api(client, world, "coordinator", "POST", f"/{run.id}/resume")
    session.expire_all()
    result = session.query(ExpectationResult).filter_by(action_key="share-c2").one()
    resumed = session.get(Exercise, run.id)
    assert resumed is not None and resumed.paused_at is None
    inject = next(i for i in resumed.injects if i.key == "INJ-02")
    assert inject.released_at is not None
    # PT30M from the resume, not from the release: the clock was stopped in between.
    remaining = result.deadline_at - inject.released_at - timedelta(minutes=30)
    assert 0.25 < remaining.total_seconds() < 1.0
