"""Runs never stuck as running: a lock left by a dead process or a failed-over scheduler is
taken over at once, status never says running for a run no one is doing, skipped scheduled
runs are recorded, repointed feeds start over, and racing first runs share one account."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from accord.db import database, utcnow
from accord.errors import Conflict
from accord.models.audit import AuditEvent
from accord.models.scheduling import SchedulerLease
from accord.models.users import User
from accord.scheduler.jobs import bind_job_app
from accord.scheduler.lease import default_holder
from feeds import sources
from feeds.context import service_user
from feeds.engine import run_feed
from feeds.jobs import run_feed as scheduled_run
from feeds.models import FeedRun, FeedSource, RunOutcome
from tests.feeds.conftest import Home, indicators, pull_feed, stored_count
from tests.feeds.fakeremote import FakeRemote


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(30)
    return process.pid


def _left_running(session: Session, feed: FeedSource, holder: str) -> FeedRun:
    """What a process killed mid-run leaves behind: its lock and a run marked running."""
    feed.lock_holder, feed.lock_until = holder, utcnow() + timedelta(seconds=300)
    run = FeedRun(feed_id=feed.id, trigger="schedule", started_at=utcnow(), reasons=[])
    session.add(run)
    session.commit()
    return run


def test_a_crashed_processs_lock_is_taken_over_at_once(app: Flask, session: Session, home: Home,
                                                       fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(5))
    feed = pull_feed(session, app, home, fake_remote)
    dead = _left_running(session, feed, f"{socket.gethostname()}:{_dead_pid()}#abc")
    assert sources.health(feed) != "running"
    assert sources.run_summary(dead)["outcome"] == "interrupted"
    run = run_feed(app, feed.id)  # no waiting for the 300 s lock to expire
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(dead)
    assert dead.outcome == RunOutcome.INTERRUPTED and dead.error
    assert stored_count(session, home.collection) == 5


def test_a_failed_over_schedulers_lock_is_taken_over_at_once(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(4))
    feed = pull_feed(session, app, home, fake_remote)
    old_leader = "scheduler-a.example:4242"
    lease = SchedulerLease(name="scheduler", holder=old_leader,
                           expires_at=utcnow() + timedelta(seconds=30))
    session.add(lease)
    dead = _left_running(session, feed, f"@{old_leader}#run1")
    with pytest.raises(Conflict):  # the old leader still holds the lease: its run is live
        run_feed(app, feed.id)
    assert sources.health(feed) == "running"
    lease.holder = "scheduler-b.example:99"  # the standby took over
    session.commit()
    session.expire_all()
    assert sources.health(feed) != "running"
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(dead)
    assert dead.outcome == RunOutcome.INTERRUPTED


def test_a_run_that_loses_the_lease_mid_run_stops_interrupted(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    """Failover mid-run: the old leader's run stops at its next page and keeps what it stored."""
    fake_remote.add(indicators(60))
    fake_remote.page_size = 20
    feed = pull_feed(session, app, home, fake_remote, settings={"page_size": 20})
    session.add(SchedulerLease(name="scheduler", holder=default_holder(),
                               expires_at=utcnow() + timedelta(seconds=60)))
    session.commit()
    handler = fake_remote.handler_class
    real_get = handler.do_GET
    pages = {"served": 0}

    def failover(request: Any) -> None:
        if "/objects/" in request.path:
            pages["served"] += 1
            # A standby takes the lease while page 3 is in flight: page 1 is stored by then;
            # page 2 is being stored (the pull reads one page ahead) and stays or goes whole.
            if pages["served"] == 3:
                with database(app).sessionmaker() as other:
                    lease = other.get(SchedulerLease, "scheduler")
                    assert lease is not None
                    lease.holder = "standby.example:1"
                    other.commit()
        real_get(request)

    handler.do_GET = failover
    try:
        run = run_feed(app, feed.id)
    finally:
        handler.do_GET = real_get
    assert run is not None and run.outcome == RunOutcome.INTERRUPTED
    assert run.error is not None and "lost the scheduler lease" in run.error
    stored = stored_count(session, home.collection)
    assert stored in (20, 40) and stored == run.stored  # whole pages kept, none half-written
    session.refresh(feed)
    assert feed.failures == 0


def test_skipped_scheduled_runs_are_recorded(app: Flask, session: Session, home: Home,
                                             fake_remote: FakeRemote) -> None:
    feed = pull_feed(session, app, home, fake_remote, interval=60)
    feed.failures, feed.backoff_until = 2, utcnow() + timedelta(minutes=5)
    session.commit()
    bind_job_app(app)
    try:
        scheduled_run(str(feed.id))
    finally:
        bind_job_app(None)
    [skipped] = sources.recent_runs(session, feed)
    assert skipped.outcome == RunOutcome.SKIPPED
    assert skipped.error is not None and skipped.error.startswith("backing off after 2 failures")


@pytest.mark.parametrize("change", ["url", "collection", "match_types"])
def test_repointing_a_feed_resets_its_watermark(app: Flask, session: Session, home: Home,
                                                fake_remote: FakeRemote, change: str) -> None:
    fake_remote.add(indicators(30))
    feed = pull_feed(session, app, home, fake_remote)
    assert run_feed(app, feed.id) is not None
    session.refresh(feed)
    assert feed.watermark is not None
    other = FakeRemote().start()  # a new source whose objects are all older than the watermark
    try:
        other.objects = [(stamp, obj) for stamp, obj in
                         zip([s for s, _ in fake_remote.objects], indicators(30), strict=True)]
        new = {"url": {"url": f"{other.url}/taxii2/"},
               "collection": {"collection": "c0ffee00-1d7e-4c56-9e1a-0f7bcb2f5c11"},
               "match_types": {"match_types": ["indicator"]}}[change]
        sources.update_feed(session, app, feed, {"settings": new})
        session.commit()
        assert feed.watermark is None
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "feed.update")
                                ).all()[-1]
        assert "watermark_reset" in (audit.details or {})
        if change == "url":
            run = run_feed(app, feed.id)
            assert run is not None
            assert run.outcome == RunOutcome.SUCCESS, run.error
            assert run.stored == 30  # every object of the new source, despite older dates
        sources.update_feed(session, app, feed, {"settings": {"page_size": 10}})
        session.commit()
        assert feed.watermark is None or change == "url"
    finally:
        other.stop()


def test_racing_first_runs_create_the_service_account_once(app: Flask, session: Session,
                                                           home: Home) -> None:
    """Another run inserts the account between this run's lookup and its insert."""
    def rival(*_args: Any) -> None:
        with database(app).sessionmaker() as other:
            team = other.merge(home.team)
            service_user(other, team)
            other.commit()

    event.listen(session, "before_flush", rival, once=True)
    user = service_user(session, home.team)
    session.commit()
    count = session.scalar(select(func.count()).select_from(User)
                           .where(User.username == user.username))
    assert count == 1
