"""Pulling from a hostile or broken partner: every case ends in bounded time with a recorded
error or per-object failures, and the watermark never runs ahead of what was stored."""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.scheduler.jobs import bind_stop_event
from feeds.engine import run_feed
from feeds.models import RunOutcome
from feeds.pull import parse_timestamp
from tests.feeds.conftest import Home, indicators, pull_feed, stored_count
from tests.feeds.fakeremote import FakeRemote


def test_a_dripping_remote_fails_within_the_total_deadline(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    app.config["FEEDS_DEADLINE_SECONDS"] = 1
    fake_remote.add(indicators(5))
    feed = pull_feed(session, app, home, fake_remote, settings={"timeout": 5})
    fake_remote.drip_interval = 0.2  # each read gets a byte well within the 5 s read timeout
    started = time.monotonic()
    run = run_feed(app, feed.id)
    elapsed = time.monotonic() - started
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error == "remote did not finish answering within 1 s"
    assert elapsed < 4, elapsed
    session.refresh(feed)
    assert feed.failures == 1 and feed.lock_holder is None
    fake_remote.drip_interval = 0
    again = run_feed(app, feed.id)
    assert again is not None
    assert again.outcome == RunOutcome.SUCCESS, again.error
    assert stored_count(session, home.collection) == 5


def test_a_repeated_next_token_stops_the_run(app: Flask, session: Session, home: Home,
                                             fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(60))
    fake_remote.page_size = 20
    fake_remote.loop_next = True
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error is not None and "sent the 'next' token 'loop' again" in run.error
    assert len([p for p in fake_remote.requests if "/objects/" in p]) == 2
    assert stored_count(session, home.collection) == 20  # the first page is kept


def test_more_without_progress_stops_the_run(app: Flask, session: Session, home: Home,
                                             fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(30))
    fake_remote.page_size = 10
    fake_remote.loop_more = True
    fake_remote.header_last = "2026-01-01T00:00:00.000001Z"  # never moves forward
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error is not None and "brought nothing new" in run.error
    assert len([p for p in fake_remote.requests if "/objects/" in p]) <= 5


def test_null_and_junk_elements_fail_alone(app: Flask, session: Session, home: Home,
                                           fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(8))
    fake_remote.extra_elements = [None, 42, {"no": "id"}]
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 8 and run.rejected == 3
    reasons = [r["reason"] for r in run.reasons]
    assert "element 8 of the page's 'objects' is null, not a STIX object with an id" in reasons
    assert any("is int" in r for r in reasons) and any("is dict" in r for r in reasons)
    assert stored_count(session, home.collection) == 8


def test_a_far_future_header_never_becomes_the_watermark(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(6))
    fake_remote.header_last = "2099-01-01T00:00:00.000Z"
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(feed)
    assert feed.watermark == fake_remote.objects[-1][0]  # the manifest's newest date_added
    assert parse_timestamp(feed.watermark) <= utcnow()
    assert any("2099-01-01" in r["reason"] and "in the future" in r["reason"]
               for r in run.reasons)
    fake_remote.header_last = None
    fake_remote.add(indicators(3))
    later = run_feed(app, feed.id)  # the feed keeps fetching
    assert later is not None and later.stored == 3
    assert stored_count(session, home.collection) == 9


def test_a_malformed_header_is_ignored_with_a_note(app: Flask, session: Session, home: Home,
                                                   fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(4))
    fake_remote.header_last = "yesterday-ish"
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 4
    assert any("'yesterday-ish'" in r["reason"] and "malformed" in r["reason"]
               for r in run.reasons)
    session.refresh(feed)
    assert feed.watermark == fake_remote.objects[-1][0]


def test_an_empty_page_with_a_header_does_not_move_the_watermark(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(3))
    feed = pull_feed(session, app, home, fake_remote)
    assert run_feed(app, feed.id) is not None
    session.refresh(feed)
    before = feed.watermark
    fake_remote.extra_elements = [None]  # a page of nothing usable, with a future header
    fake_remote.header_last = "2099-01-01T00:00:00.000Z"
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(feed)
    assert feed.watermark == before


def test_a_huge_page_is_refused_not_buffered(app: Flask, session: Session, home: Home,
                                             fake_remote: FakeRemote) -> None:
    app.config["FEEDS_MAX_RESPONSE_BYTES"] = 200_000
    fake_remote.add(indicators(5))
    fake_remote.pad_bytes = 2_000_000
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error == "remote answer is larger than the 200000 byte cap"
    assert run.bytes < 200_000
    assert stored_count(session, home.collection) == 0


def test_sigterm_style_stop_interrupts_a_hanging_run(app: Flask, session: Session, home: Home,
                                                    fake_remote: FakeRemote) -> None:
    """The scheduler's stop event abandons the request at once; the run ends interrupted."""
    fake_remote.add(indicators(3))
    feed = pull_feed(session, app, home, fake_remote, settings={"timeout": 30})
    fake_remote.drip_interval = 0.2
    stop = threading.Event()  # what SIGTERM sets in ``accord scheduler``
    bind_stop_event(app, stop)
    app.config["FEEDS_DEADLINE_SECONDS"] = 60
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    started = time.monotonic()
    try:
        run = run_feed(app, feed.id)
    finally:
        timer.join()
        bind_stop_event(app, None)
    assert time.monotonic() - started < 3
    assert run is not None and run.outcome == RunOutcome.INTERRUPTED
    assert run.error is not None and "stopping" in run.error
    session.refresh(feed)
    assert feed.failures == 0 and feed.lock_holder is None
