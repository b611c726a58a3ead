"""Ten feeds hang on a dripping partner: exercise injects and a healthy feed still run on time,
the scheduler stops within seconds (SIGTERM), and its health shows in /readyz and status."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.scheduling import SchedulerLease
from accord.scheduler import runner as runner_module
from accord.scheduler.embedded import EmbeddedScheduler
from accord.scheduler.jobs import PARTNER_EXECUTOR, schedule
from accord.scheduler.runner import SchedulerRunner
from exercises.models import Exercise, ExerciseState, InjectState
from feeds import scheduling
from feeds.models import FeedRun, FeedSource, RunOutcome
from tests.conftest import TEST_SECRET
from tests.exercises.conftest import World, world  # noqa: F401 (the fixture)
from tests.exercises.conftest import schedule as schedule_exercise
from tests.feeds.conftest import Home, indicators, pull_feed
from tests.feeds.fakeremote import FakeRemote

ACCORD = Path(sys.executable).with_name("accord")


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def drip_remote() -> Iterator[FakeRemote]:
    remote = FakeRemote().start()
    remote.add(indicators(3))
    remote.drip_interval, remote.drip_limit = 0.2, 200
    yield remote
    remote.stop()


def _due_now(app: Flask, feed: FeedSource) -> None:
    """The feed's job, due at once (as after a scheduler restart)."""
    trigger = scheduling.trigger_for(feed)
    assert trigger is not None
    schedule(app, feed.job_id, scheduling.JOB_FUNC, trigger, args=(str(feed.id),),
             executor=PARTNER_EXECUTOR, next_run_time=utcnow())


def _runs(session: Session, feed: FeedSource) -> list[FeedRun]:
    session.expire_all()
    return list(session.scalars(select(FeedRun).where(FeedRun.feed_id == feed.id)))


def test_hanging_feeds_starve_neither_injects_nor_a_healthy_feed(
        app: Flask, session: Session, home: Home, world: World,  # noqa: F811
        fake_remote: FakeRemote, drip_remote: FakeRemote,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "WAKE_SECONDS", 0.2)
    app.config.update(SCHEDULER_PARTNER_THREADS=4, FEEDS_DEADLINE_SECONDS=30)
    hanging = [pull_feed(session, app, home, drip_remote, interval=600, settings={"timeout": 30})
               for _ in range(10)]
    fake_remote.add(indicators(5))
    healthy = pull_feed(session, app, home, fake_remote, interval=600)
    for feed in [*hanging, healthy]:
        _due_now(app, feed)
    start = utcnow() + timedelta(seconds=2)
    exercise = schedule_exercise(session, world, start=start, speed=3600, app=app)

    runner = SchedulerRunner(app, lease_seconds=3, holder="starvation-test")
    runner.start_in_thread()
    try:
        assert wait_for(lambda: any(r.outcome == RunOutcome.SUCCESS
                                    for r in _runs(session, healthy)), 10), [
            (r.outcome, r.error) for f in [*hanging, healthy] for r in _runs(session, f)]
        [ran] = _runs(session, healthy)
        assert ran.stored == 5

        def done() -> bool:
            session.expire_all()
            found = session.get(Exercise, exercise.id)
            return found is not None and found.state == ExerciseState.COMPLETED

        assert wait_for(done, 30)
        finished = session.get(Exercise, exercise.id)
        assert finished is not None
        for inject in finished.injects:
            if inject.state == InjectState.RELEASED:
                assert inject.released_at is not None
                assert (inject.released_at - inject.due_at).total_seconds() < 3, inject.key
        # One slow partner holds at most two threads; its other feeds were skipped, on record.
        outcomes = [r.outcome for feed in hanging for r in _runs(session, feed)]
        assert outcomes.count(RunOutcome.RUNNING) == 2
        assert outcomes.count(RunOutcome.SKIPPED) == 8
    finally:
        stopped_at = time.monotonic()
        runner.stop(timeout=10)
        stop_took = time.monotonic() - stopped_at
    assert stop_took < 3, stop_took  # the hung requests were abandoned, not waited for
    interrupted = [r for feed in hanging for r in _runs(session, feed)
                   if r.outcome == RunOutcome.INTERRUPTED]
    assert len(interrupted) == 2 and all("stopping" in (r.error or "") for r in interrupted)


@pytest.mark.slow
def test_sigterm_stops_the_scheduler_within_seconds(
        app: Flask, session: Session, home: Home, drip_remote: FakeRemote,
        tmp_path: Path) -> None:
    feed = pull_feed(session, app, home, drip_remote, interval=600, settings={"timeout": 60})
    _due_now(app, feed)
    env = {**os.environ, "ACCORD_DATABASE_URL": app.config["DATABASE_URL"],
           "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(tmp_path),
           "ACCORD_FEEDS_DEADLINE_SECONDS": "120"}
    log = tmp_path / "scheduler.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(ACCORD), "scheduler", "--lease-seconds", "3"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: any(r.outcome == RunOutcome.RUNNING
                                    for r in _runs(session, feed)), 60), log.read_text()
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        process.wait(15)
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    [run] = _runs(session, feed)
    assert run.outcome == RunOutcome.INTERRUPTED, log.read_text()
    session.expire_all()
    lease = session.get(SchedulerLease, "scheduler")
    assert lease is not None and lease.expires_at < utcnow()  # given up, a standby may lead


def test_scheduler_health_in_readyz_and_feeds_status(app: Flask, client: FlaskClient,
                                                     session: Session, home: Home) -> None:
    app.config["SCHEDULER_REQUIRED"] = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["reason"] == "scheduler down: no scheduler has ever run"
    output = app.test_cli_runner().invoke(args=["feeds", "status"]).output
    assert "Scheduler: down - no scheduler has ever run" in output
    session.add(SchedulerLease(name="scheduler", holder="host:1",
                               expires_at=utcnow() + timedelta(seconds=30)))
    session.commit()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json is not None
    assert ready.json["scheduler"]["state"] == "running"
    output = app.test_cli_runner().invoke(args=["feeds", "status"]).output
    assert "Scheduler: running (host:1)" in output
    lease = session.get(SchedulerLease, "scheduler")
    assert lease is not None
    lease.expires_at = utcnow() - timedelta(seconds=1)  # the scheduler died silently
    session.commit()
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json is not None
    assert down.json["reason"].startswith("scheduler down: the last scheduler's lease ran out")


@pytest.mark.slow
def test_the_embedded_scheduler_starts_beside_a_folder_named_accord(
        app: Flask, client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve --scheduler`` from a folder holding ``accord/``: the child must not import it."""
    shadow = tmp_path / "accord"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise SystemExit('imported the wrong accord')\n")
    (shadow / "__main__.py").write_text("raise SystemExit('imported the wrong accord')\n")
    monkeypatch.chdir(tmp_path)
    app.config.update(SCHEDULER_REQUIRED=True, SECRET_KEY=TEST_SECRET,
                      INSTANCE_PATH=str(tmp_path / "instance"))
    embedded = EmbeddedScheduler(app)
    embedded.start()
    try:
        assert wait_for(lambda: client.get("/readyz").status_code == 200, 60)
        assert embedded.process is not None and embedded.process.poll() is None
    finally:
        embedded.stop()
    assert client.get("/readyz").status_code == 503  # it gave its lease up: shown as down
