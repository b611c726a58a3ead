"""A job store that fails for a moment (database locked or unreachable) delays the leader's
jobs; it never ends the scheduler's thread, which would leave a lease holder running nothing."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from accord.db import utcnow
from accord.scheduler import jobs
from accord.scheduler.runner import SchedulerRunner
from tests.scheduler.test_scheduler import wait_for

RUNS: list[str] = []
RAN = threading.Event()


def note_run(tag: str) -> None:
    """A job function: notes each run."""
    RUNS.append(tag)
    RAN.set()


def test_a_locked_job_store_delays_the_next_run_and_the_scheduler_lives_on(
        app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(jobs, "STORE_RETRY_SECONDS", 0.05)
    RUNS.clear()
    scheduler = jobs.make_scheduler(app, running=True)
    scheduler.start(paused=True)
    store = scheduler._lookup_jobstore("default")
    failures: list[str] = []
    update = store.update_job

    def locked_once(job: Any) -> None:
        if not failures:
            failures.append(job.id)
            raise OperationalError("UPDATE scheduler_jobs", {},
                                   sqlite3.OperationalError("database is locked"))
        update(job)

    monkeypatch.setattr(store, "update_job", locked_once)
    try:
        scheduler.add_job(f"{__name__}:note_run", "interval", args=["tick"], hours=1,
                          id="test.store-failure", next_run_time=utcnow() - timedelta(seconds=1))
        scheduler.resume()
        # The first run's new time could not be stored: the job is due again at the retry.
        assert wait_for(lambda: len(RUNS) >= 2), RUNS
        assert failures == ["test.store-failure"]
        assert scheduler._thread.is_alive()
        stored = scheduler.get_job("test.store-failure")
        assert stored is not None and stored.next_run_time > utcnow() + timedelta(minutes=59)
        assert any("could not update its job store (database is locked" in r.getMessage()
                   for r in caplog.records)
    finally:
        scheduler.remove_jobstore("default", shutdown=False)
        scheduler.shutdown(wait=True)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_leader_whose_job_thread_died_starts_a_new_one(app: Flask) -> None:
    RUNS.clear()
    RAN.clear()
    leader = SchedulerRunner(app, lease_seconds=1.5, holder="leader")
    leader.start_in_thread()
    try:
        assert wait_for(lambda: leader.is_leader and leader.scheduler is not None)
        dead = leader.scheduler
        assert dead is not None

        def die() -> None:
            raise SystemExit  # ends APScheduler's thread without a word, like any BaseException

        dead._process_jobs = die
        dead.wakeup()
        assert wait_for(lambda: leader.scheduler is not dead)
        assert leader.is_leader and leader.jobs_alive()
        jobs.schedule(app, "test.after-restart", f"{__name__}:note_run", "date",
                      args=["after"], run_date=utcnow() + timedelta(milliseconds=200))
        assert RAN.wait(timeout=jobs.WAKE_SECONDS + 10)
        assert RUNS == ["after"]
    finally:
        leader.stop()
