"""Remote down, 500s, garbage JSON, slow answers and rejected credentials: each is recorded on
the FeedRun with a clear error, backs the feed off, and the next run recovers cleanly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.errors import Conflict
from accord.scheduler.jobs import bind_job_app
from feeds import sources
from feeds.engine import backoff_delay, claim, run_feed
from feeds.jobs import run_feed as scheduled_run
from feeds.models import FeedSource, RunOutcome
from tests.feeds.conftest import Home, indicators, pull_feed, stored_count, stored_ids
from tests.feeds.fakeremote import FakeRemote


def _recover(app: Flask, session: Session, home: Home, feed: FeedSource, remote: FakeRemote,
             expected: int) -> None:
    """The remote is healthy again: the next run stores everything exactly once."""
    remote.mode = "ok"
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(feed)
    assert feed.failures == 0 and feed.backoff_until is None and feed.last_error is None
    ids = stored_ids(session, home.collection)
    assert len(ids) == len(set(ids)) == expected


@pytest.mark.parametrize(("mode", "message"), [
    ("500", "remote answered HTTP 500"),
    ("garbage", "remote sent invalid JSON"),
])
def test_server_errors_and_garbage(app: Flask, session: Session, home: Home,
                                   fake_remote: FakeRemote, mode: str, message: str) -> None:
    fake_remote.add(indicators(60))
    feed = pull_feed(session, app, home, fake_remote)
    fake_remote.mode = mode
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error is not None and run.error.startswith(message)
    assert run.finished_at is not None
    session.refresh(feed)
    assert feed.failures == 1 and feed.last_error == run.error
    assert stored_count(session, home.collection) == 0
    _recover(app, session, home, feed, fake_remote, 60)


def test_remote_down(app: Flask, session: Session, home: Home) -> None:
    remote = FakeRemote().start()
    remote.add(indicators(10))
    feed = pull_feed(session, app, home, remote)
    remote.stop()
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error is not None and run.error.startswith("remote unreachable")
    revived = FakeRemote().start()  # the partner comes back (on a new port)
    try:
        revived.objects = remote.objects
        feed.settings = {**feed.settings, "url": f"{revived.url}/taxii2/"}
        session.commit()
        _recover(app, session, home, feed, revived, 10)
    finally:
        revived.stop()


def test_slow_remote_times_out(app: Flask, session: Session, home: Home,
                               fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(5))
    feed = pull_feed(session, app, home, fake_remote, settings={"timeout": 0.3})
    fake_remote.mode, fake_remote.delay = "slow", 1.0
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error == "remote timed out (no answer within 0.3 s)"
    _recover(app, session, home, feed, fake_remote, 5)


def test_rejected_credentials(app: Flask, session: Session, home: Home,
                              fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(4))
    feed = pull_feed(session, app, home, fake_remote, secret="wrong-password-here")
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error == "credentials rejected by remote (HTTP 401)"
    assert "wrong-password" not in run.error
    sources.update_feed(session, app, feed, {"auth": "basic", "username": fake_remote.user,
                                             "secret": fake_remote.password})
    session.commit()
    _recover(app, session, home, feed, fake_remote, 4)


def test_failure_mid_run_keeps_the_pages_already_stored(app: Flask, session: Session, home: Home,
                                                        fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(200))
    feed = pull_feed(session, app, home, fake_remote)
    real = fake_remote.handler_class.do_GET
    served = {"pages": 0}

    def flaky(handler: object) -> None:
        if "/objects/" in handler.path:  # type: ignore[attr-defined]
            served["pages"] += 1
            if served["pages"] == 3:
                fake_remote.mode = "500"
        real(handler)

    fake_remote.handler_class.do_GET = flaky
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.pages == 2 and run.stored == 100
    assert stored_count(session, home.collection) == 100
    fake_remote.handler_class.do_GET = real
    _recover(app, session, home, feed, fake_remote, 200)


def test_backoff_is_exponential_and_capped(app: Flask, session: Session, home: Home,
                                           fake_remote: FakeRemote) -> None:
    app.config.update(FEEDS_BACKOFF_SECONDS=10, FEEDS_BACKOFF_MAX_SECONDS=35)
    assert [backoff_delay(app, n).total_seconds() for n in (1, 2, 3, 4, 9)] == [10, 20, 35, 35, 35]
    feed = pull_feed(session, app, home, fake_remote, interval=60)
    fake_remote.mode = "500"
    run_feed(app, feed.id)
    run_feed(app, feed.id)
    session.refresh(feed)
    assert feed.failures == 2 and feed.backoff_until is not None
    assert feed.backoff_until - utcnow() <= timedelta(seconds=20)
    # A scheduled run during the backoff does nothing; once it passes, the feed recovers alone.
    fake_remote.mode = "ok"
    fake_remote.add(indicators(3))
    bind_job_app(app)
    try:
        scheduled_run(str(feed.id))
        assert stored_count(session, home.collection) == 0
        feed.backoff_until = utcnow() - timedelta(seconds=1)
        session.commit()
        scheduled_run(str(feed.id))
    finally:
        bind_job_app(None)
    assert stored_count(session, home.collection) == 3
    session.refresh(feed)
    assert feed.failures == 0 and feed.last_success_at is not None


def test_runs_never_overlap(app: Flask, session: Session, home: Home,
                            fake_remote: FakeRemote) -> None:
    feed = pull_feed(session, app, home, fake_remote)
    assert claim(session, feed.id, "someone-else", 60)
    with pytest.raises(Conflict, match="already running"):
        run_feed(app, feed.id)
    bind_job_app(app)
    try:
        scheduled_run(str(feed.id))  # the scheduler's attempt is skipped, and recorded
    finally:
        bind_job_app(None)
    [skipped] = sources.recent_runs(session, feed)
    assert skipped.outcome == RunOutcome.SKIPPED and skipped.trigger == "schedule"
    assert skipped.error == "the previous run of this feed is still going"
