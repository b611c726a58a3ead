"""A partner serving an indicator whose pattern crashes stix2-patterns no longer blocks the
feed: that object is rejected with its reason, the others are stored (issue 12, item 1)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from feeds.engine import run_feed
from feeds.models import RunOutcome
from tests.feeds.conftest import Home, indicator, indicators, pull_feed, stored_count
from tests.feeds.fakeremote import FakeRemote

NESTED = "(" * 500 + "[ipv4-addr:value = '198.51.100.1']" + ")" * 500


def test_patterns_the_validator_chokes_on_are_rejected_alone(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    fake_remote.add([*indicators(3), indicator(pattern=""), indicator(pattern=NESTED)])
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert (run.fetched, run.stored, run.rejected) == (5, 3, 2)
    assert stored_count(session, home.collection) == 3
    again = run_feed(app, feed.id)  # the watermark moved past them: the next pull goes on
    assert again is not None and again.outcome == RunOutcome.SUCCESS and again.stored == 0
