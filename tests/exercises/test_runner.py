"""The real scheduler fires injects: rehearsal speed, and injects missed while it was down."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from accord.scheduler import runner as runner_module
from accord.scheduler.runner import SchedulerRunner
from exercises.models import Exercise, ExerciseState, InjectState
from exercises.runs import job_sync
from tests.exercises.conftest import World, api, schedule


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def scheduler(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Start the hub's scheduler (leader) on demand; it wakes every 0.2 s in tests."""
    monkeypatch.setattr(runner_module, "WAKE_SECONDS", 0.2)
    started: list[SchedulerRunner] = []

    def start() -> None:
        runner = SchedulerRunner(app, lease_seconds=3, holder=f"test-{len(started)}")
        runner.start_in_thread()
        assert wait_for(lambda: runner.is_leader)
        started.append(runner)

    yield start
    for runner in started:
        runner.stop()


def _state(session: Session, run: Exercise) -> Exercise:
    session.expire_all()
    found = session.get(Exercise, run.id)
    assert found is not None
    return found


def test_rehearsal_plays_the_whole_scenario_at_speed(scheduler: Callable[[], None], app: Flask,
                                                     session: Session, world: World) -> None:
    scheduler()
    start = utcnow() + timedelta(seconds=1)
    run = schedule(session, world, start=start, speed=3600, app=app)  # 3 h in 3 s
    assert wait_for(lambda: _state(session, run).state == ExerciseState.COMPLETED, 30)
    done = _state(session, run)
    assert done.started_at is not None and done.started_at >= start
    states = {i.key: i.state for i in done.injects}
    assert states.pop("INJ-06") == InjectState.CANCELLED  # held, never released by hand
    assert set(states.values()) == {InjectState.RELEASED}
    for inject in done.injects:
        if inject.state == InjectState.RELEASED:
            assert inject.release_mode == "schedule"
            assert inject.released_at is not None and inject.released_at >= inject.due_at
            assert inject.due_at == start + timedelta(seconds=inject.offset_seconds / 3600)
            assert (inject.released_at - inject.due_at).total_seconds() < 5
    assert job_sync.scheduled_jobs(app, run.id) == {}


def test_injects_missed_while_the_scheduler_was_down_fire_when_it_returns(
        scheduler: Callable[[], None], app: Flask, client: FlaskClient, session: Session,
        world: World, clock: ManualClock) -> None:
    clock.advance(seconds=-3.5)  # scheduled 3.5 s ago; the scheduler has been down since
    start = utcnow() + timedelta(seconds=0.5)
    run = schedule(session, world, start=start, speed=600, app=app)  # INJ-02 due at +2 s
    clock.rewind_to_system()  # INJ-01 and INJ-02 came due unattended
    assert _state(session, run).state == ExerciseState.SCHEDULED
    scheduler()
    assert wait_for(lambda: {i.key for i in _state(session, run).injects
                             if i.state == InjectState.RELEASED} >= {"INJ-01", "INJ-02"})
    late = {i.key: i for i in _state(session, run).injects}
    for key in ("INJ-01", "INJ-02"):
        inject = late[key]
        assert inject.released_at is not None
        assert (inject.released_at - inject.due_at).total_seconds() > 1.0
    status = api(client, world, "coordinator", "GET", f"/{run.id}").json
    by_key = {i["key"]: i for i in status["injects"]}
    assert by_key["INJ-01"]["delay_seconds"] > 1.0
    assert by_key["INJ-01"]["planned_at"] == start.isoformat()
    report = api(client, world, "coordinator", "GET", f"/{run.id}/report").json
    event = next(e for e in report["timeline"] if e.get("inject") == "INJ-02"
                 and e["kind"] == "inject")
    assert event["planned_at"] == (start + timedelta(seconds=2)).isoformat()
    assert event["delay_seconds"] > 1.0 and event["release_mode"] == "schedule"
    markdown = api(client, world, "coordinator", "GET", f"/{run.id}/report?format=markdown")
    assert "released schedule (delay " in markdown.get_data(as_text=True)
    api(client, world, "coordinator", "POST", f"/{run.id}/cancel")
