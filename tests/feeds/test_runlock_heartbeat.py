"""Run locks kept by a heartbeat: a run that crashed on another host (where its process cannot be
checked) frees its feed once the short grace has passed, its run marked interrupted; a run whose
process keeps renewing the lock is never taken over, however long it takes."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import database, utcnow
from accord.errors import Conflict
from feeds import runlock, sources
from feeds.engine import heartbeat_interval, lock_grace, run_feed
from feeds.models import FeedRun, FeedSource, RunOutcome
from tests.feeds.conftest import Home, indicators, pull_feed, stored_count
from tests.feeds.fakeremote import FakeRemote

OTHER_HOST = "feeds-b.example:4242"  # a process this host cannot see


def _crashed_elsewhere(session: Session, feed: FeedSource, grace: float) -> FeedRun:
    """What a manual run killed on another host leaves: a lock renewed last now, a run running."""
    feed.lock_holder = f"{OTHER_HOST}#crashed"
    feed.lock_until = utcnow() + timedelta(seconds=grace)
    run = FeedRun(feed_id=feed.id, trigger="manual", started_at=utcnow(), reasons=[])
    session.add(run)
    session.commit()
    return run


def test_the_grace_is_short_and_the_heartbeat_beats_within_it(app: Flask) -> None:
    grace = lock_grace(app)
    assert grace <= 60
    assert heartbeat_interval(app, grace) <= grace / 3
    assert heartbeat_interval(app, 2) == pytest.approx(2 / 3)


def test_a_lock_not_renewed_within_the_grace_is_taken_over(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote,
        clock: ManualClock) -> None:
    fake_remote.add(indicators(5))
    feed = pull_feed(session, app, home, fake_remote)
    grace = lock_grace(app)
    dead = _crashed_elsewhere(session, feed, grace)
    clock.advance(seconds=grace - 1)
    with pytest.raises(Conflict):  # within the grace the holder may still be alive
        run_feed(app, feed.id)
    session.expire_all()
    assert sources.health(feed) == "running"
    clock.advance(seconds=2)  # the holder missed the grace: it is dead
    session.expire_all()
    assert sources.health(feed) != "running"
    assert sources.run_summary(dead)["outcome"] == "interrupted"
    run = run_feed(app, feed.id)  # long before the old 300 s expiry
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(dead)
    assert dead.outcome == RunOutcome.INTERRUPTED and dead.error
    assert stored_count(session, home.collection) == 5
    session.refresh(feed)
    assert feed.lock_holder is None


def test_a_renewing_lock_is_never_taken_over(app: Flask, session: Session, home: Home,
                                            fake_remote: FakeRemote, clock: ManualClock) -> None:
    fake_remote.add(indicators(3))
    feed = pull_feed(session, app, home, fake_remote)
    grace = lock_grace(app)
    holder = f"{OTHER_HOST}#live"
    assert runlock.claim(session, feed.id, holder, grace)
    heartbeat = runlock.Heartbeat(app, feed.id, holder, grace, heartbeat_interval(app, grace))
    for _ in range(5):  # five graces in all: only the renewals keep the lock
        clock.advance(seconds=grace * 0.8)
        assert heartbeat.beat()
        with pytest.raises(Conflict):
            run_feed(app, feed.id)
        session.expire_all()
        assert sources.health(feed) == "running"
    clock.advance(seconds=grace + 1)  # the holder stopped renewing
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert stored_count(session, home.collection) == 3
    assert not heartbeat.beat() and heartbeat.lost  # the old holder learns it lost the lock


def test_a_run_slower_than_the_grace_keeps_its_lock_by_its_heartbeat(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote, clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """While page 2 is in flight for longer than the grace, the running process's heartbeat
    renews the lock: a rival cannot take the feed, and the run finishes with every object."""
    monkeypatch.setitem(app.config, "FEEDS_RUN_LOCK_HEARTBEAT_SECONDS", 0.05)
    fake_remote.add(indicators(40))
    fake_remote.page_size = 20
    feed = pull_feed(session, app, home, fake_remote, settings={"page_size": 20})
    grace = lock_grace(app)
    beaten = threading.Event()
    real_beat = runlock.Heartbeat.beat
    seen: dict[str, Any] = {"pages": 0, "jumped": None}

    def beat(self: runlock.Heartbeat) -> bool:
        started = utcnow()
        held = real_beat(self)
        if seen["jumped"] is not None and started >= seen["jumped"]:
            beaten.set()  # a renewal made after the clock moved on
        return held

    monkeypatch.setattr(runlock.Heartbeat, "beat", beat)
    handler = fake_remote.handler_class
    real_get = handler.do_GET

    def slow_page(request: Any) -> None:
        if "/objects/" in request.path:
            seen["pages"] += 1
            if seen["pages"] == 2:
                seen["jumped"] = clock.advance(seconds=grace + 5)  # page 1's renewal ran out
                assert beaten.wait(10), "no heartbeat while the page was in flight"
                with database(app).sessionmaker() as other:
                    seen["rival"] = runlock.claim(other, feed.id, f"{OTHER_HOST}#rival", grace)
        real_get(request)

    monkeypatch.setattr(handler, "do_GET", slow_page)
    run = run_feed(app, feed.id)
    assert seen["rival"] is False
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 40
    assert stored_count(session, home.collection) == 40
