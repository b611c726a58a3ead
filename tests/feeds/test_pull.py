"""taxii21-pull against a scripted remote: incremental runs, pagination quirks, ties, policy."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from accord.tlp import Tlp
from feeds.engine import run_feed
from feeds.models import RunOutcome
from tests.feeds.conftest import (
    Home,
    indicator,
    indicators,
    pull_feed,
    stored_count,
    stored_ids,
)
from tests.feeds.fakeremote import FakeRemote


def test_pull_is_incremental_and_follows_next(app: Flask, session: Session, home: Home,
                                              fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(120))
    feed = pull_feed(session, app, home, fake_remote)

    first = run_feed(app, feed.id)
    assert first is not None
    assert first.outcome == RunOutcome.SUCCESS, first.error
    assert (first.pages, first.fetched, first.stored, first.already_known) == (3, 120, 120, 0)
    assert first.bytes > 0
    assert stored_count(session, home.collection) == 120

    fake_remote.add(indicators(7))
    second = run_feed(app, feed.id)
    assert second is not None and second.outcome == RunOutcome.SUCCESS
    assert second.stored == 7
    assert second.fetched - second.already_known == 7  # only the overlap tie comes back
    assert stored_count(session, home.collection) == 127

    third = run_feed(app, feed.id)
    assert third is not None and third.stored == 0
    assert stored_count(session, home.collection) == 127
    assert len(set(stored_ids(session, home.collection))) == 127


def test_servers_that_only_honour_added_after(app: Flask, session: Session, home: Home,
                                              fake_remote: FakeRemote) -> None:
    fake_remote.honour_next = False
    fake_remote.add(indicators(130))
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 130
    assert stored_count(session, home.collection) == 130
    assert not any("next=" in path for path in fake_remote.requests)


def test_objects_sharing_a_timestamp_are_never_missed(app: Flask, session: Session, home: Home,
                                                      fake_remote: FakeRemote) -> None:
    fake_remote.honour_next = False
    fake_remote.add(indicators(30))
    fake_remote.add(indicators(40), same_timestamp=True)  # straddles the 50-object page boundary
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert stored_count(session, home.collection) == 70

    fake_remote.add(indicators(5), same_timestamp=True)
    run_feed(app, feed.id)
    assert stored_count(session, home.collection) == 75


def test_missing_date_added_header_falls_back_to_the_manifest(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    fake_remote.send_header = False
    fake_remote.add(indicators(60))
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.refresh(feed)
    assert feed.watermark == fake_remote.objects[-1][0]
    fake_remote.add(indicators(3))
    again = run_feed(app, feed.id)
    assert again is not None and again.stored == 3
    assert stored_count(session, home.collection) == 63


def test_red_is_dropped_and_counted_and_bad_objects_are_rejected(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    good = indicators(3)
    red = indicator(Tlp.RED)
    broken = indicator(pattern="[this is not a pattern")
    fake_remote.add([*good, red, broken])
    feed = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.SUCCESS
    assert (run.stored, run.dropped, run.rejected) == (3, 1, 1)
    reasons = {r["id"]: r["reason"] for r in run.reasons}
    assert "TLP:RED" in reasons[red["id"]]
    assert broken["id"] in reasons
    assert red["id"] not in stored_ids(session, home.collection)


def test_feed_max_tlp_limits_what_is_imported(app: Flask, session: Session, home: Home,
                                               fake_remote: FakeRemote) -> None:
    fake_remote.add([indicator(Tlp.CLEAR), indicator(Tlp.GREEN), indicator(Tlp.AMBER),
                     indicator(Tlp.AMBER_STRICT)])
    feed = pull_feed(session, app, home, fake_remote, max_tlp="green")
    run = run_feed(app, feed.id)
    assert run is not None and (run.stored, run.dropped) == (2, 2)


def test_match_type_filter_is_sent(app: Flask, session: Session, home: Home,
                                   fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(2))
    fake_remote.add([{"type": "identity", "spec_version": "2.1",
                      "id": "identity--0f0e7a2c-8d1b-4c1e-9f53-1c7c3b0b5a11",
                      "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                      "name": "Someone",
                      "object_marking_refs": indicator()["object_marking_refs"]}])
    feed = pull_feed(session, app, home, fake_remote, settings={"match_types": ["indicator"]})
    run = run_feed(app, feed.id)
    assert run is not None and run.stored == 2
    assert any("match%5Btype%5D=indicator" in p for p in fake_remote.requests)


def test_objects_of_another_team_are_not_re_attributed(app: Flask, session: Session, home: Home,
                                                       fake_remote: FakeRemote) -> None:
    objects = indicators(2)
    fake_remote.add(objects)
    feed = pull_feed(session, app, home, fake_remote)
    run_feed(app, feed.id)
    newer = dict(objects[0], modified="2027-01-01T00:00:00.000Z")
    fake_remote.add([newer])
    run = run_feed(app, feed.id)
    assert run is not None and run.stored == 1  # a new version from the same partner
    assert stored_count(session, home.collection) == 3
