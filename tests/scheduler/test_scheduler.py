"""The shared job store, leadership lease and runner fire real jobs from the database."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from flask import Flask

from accord.clock import ManualClock
from accord.db import utcnow
from accord.scheduler import jobs
from accord.scheduler.lease import Lease
from accord.scheduler.runner import SchedulerRunner

FIRED: list[str] = []
FIRED_EVENT = threading.Event()


def record_fire(tag: str) -> None:
    """A job function: notes that it ran, and checks it can reach its app."""
    assert jobs.job_app() is not None
    FIRED.append(tag)
    FIRED_EVENT.set()


def wait_for(predicate: object, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_jobs_are_stored_in_the_database_and_editable(app: Flask) -> None:
    run_at = utcnow() + timedelta(hours=1)
    jobs.schedule(app, "test.job", "tests.scheduler.test_scheduler:record_fire", "date",
                  args=["a"], run_date=run_at)
    stored = jobs.find_job(app, "test.job")
    assert stored is not None and stored.args == ("a",)
    assert abs((stored.next_run_time - run_at).total_seconds()) < 1
    assert [j.id for j in jobs.list_jobs(app, "test.")] == ["test.job"]
    assert jobs.unschedule(app, "test.job") is True
    assert jobs.unschedule(app, "test.job") is False


def test_only_one_process_holds_the_lease(app: Flask, clock: ManualClock) -> None:
    first = Lease(app, holder="a", ttl_seconds=0.5)
    second = Lease(app, holder="b", ttl_seconds=0.5)
    assert first.acquire() is True
    assert second.acquire() is False
    assert first.acquire() is True  # renewal
    clock.advance(seconds=0.6)
    assert second.acquire() is True  # expired: the standby takes over
    assert first.acquire() is False
    second.release()
    assert first.acquire() is True


def test_runner_fires_a_job_added_by_another_process_and_hands_over(app: Flask) -> None:
    FIRED.clear()
    FIRED_EVENT.clear()
    leader = SchedulerRunner(app, lease_seconds=1.5, holder="leader")
    leader.start_in_thread()
    assert wait_for(lambda: leader.is_leader)
    standby = SchedulerRunner(app, lease_seconds=1.5, holder="standby")
    standby_thread = threading.Thread(target=standby.run, daemon=True)
    try:
        jobs.schedule(app, "test.soon", "tests.scheduler.test_scheduler:record_fire", "date",
                      args=["soon"], run_date=utcnow() + timedelta(milliseconds=300))
        assert FIRED_EVENT.wait(timeout=jobs.WAKE_SECONDS + 10)
        assert FIRED == ["soon"]
        standby_thread.start()
        time.sleep(0.7)
        assert standby.is_leader is False
        leader.stop()
        assert wait_for(lambda: standby.is_leader, timeout=10)
    finally:
        leader.stop()
        standby.stopping.set()
        standby_thread.join(timeout=10)
