"""Pushing to a partner that limits envelope sizes, refuses some objects, or already holds most
of what we send: envelopes fit, refused objects are isolated and dropped with the reason, the
rest goes through, and ``stored`` counts only what is new at the remote."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import FeedPush, FeedSource, RunOutcome
from feeds.store import add_objects
from tests.feeds.conftest import Home, indicators
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote


def _push_feed(session: Session, app: Flask, home: Home, remote: FakeRemote,
               page_size: int = 40) -> FeedSource:
    feed = sources.create_feed(
        session, app, name="push-hostile", kind="taxii21-push",
        collection=str(home.collection.id), partner_team=home.partner.name, max_tlp="amber",
        auth="basic", username=remote.user, secret=remote.password,
        settings={"url": f"{remote.url}/api1/", "collection": COLLECTION_ID,
                  "page_size": page_size})
    session.commit()
    return feed


def _store(session: Session, feed: FeedSource, objects: list[dict[str, object]],
           home: Home) -> None:
    result = add_objects(session, feed.collection, feeds_user(session, feed), objects, home.team)
    assert not result.rejected, result.rejected
    session.commit()


def test_envelopes_fit_the_remotes_max_content_length(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    ours = indicators(30)
    size = len(json.dumps(ours[0]))
    fake_remote.max_content_length = size * 7  # about six objects an envelope
    feed = _push_feed(session, app, home, fake_remote)
    _store(session, feed, ours, home)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert 413 not in fake_remote.posts and len(fake_remote.posts) >= 5
    assert run.stored == 30 and run.dropped == 0
    assert {o["id"] for o in fake_remote.received} == {o["id"] for o in ours}


def test_an_object_over_the_limit_alone_is_dropped_with_the_reason(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    ours = indicators(5)
    ours[2]["description"] = "x" * 5000
    fake_remote.max_content_length = 4000
    feed = _push_feed(session, app, home, fake_remote)
    _store(session, feed, ours, home)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 4 and run.dropped == 1
    [reason] = [r for r in run.reasons if r["id"] == ours[2]["id"]]
    assert "over the remote's max_content_length of 4000" in reason["reason"]


def test_a_413_is_bisected_when_the_limit_is_not_advertised(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    """A remote that says 10 MB but refuses far less: bisection still gets everything in."""
    ours = indicators(16)
    feed = _push_feed(session, app, home, fake_remote)
    _store(session, feed, ours, home)
    real = fake_remote.max_content_length
    fake_remote.max_content_length = len(json.dumps({"objects": ours[:5]}))
    # The API root keeps advertising the real (too big) limit: patch only the POST check.
    handler = fake_remote.handler_class
    real_get = handler.do_GET

    def lying_get(request: object) -> None:
        limit = fake_remote.max_content_length
        fake_remote.max_content_length = real
        try:
            real_get(request)
        finally:
            fake_remote.max_content_length = limit

    handler.do_GET = lying_get
    try:
        run = run_feed(app, feed.id)
    finally:
        handler.do_GET = real_get
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert 413 in fake_remote.posts
    assert run.stored == 16 and run.dropped == 0
    assert sorted(o["id"] for o in fake_remote.received) == sorted(o["id"] for o in ours)


def test_a_poison_object_is_isolated_and_the_feed_moves_on(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    ours = indicators(20)
    fake_remote.poison = {ours[7]["id"], ours[13]["id"]}
    feed = _push_feed(session, app, home, fake_remote)
    _store(session, feed, ours, home)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 18 and run.dropped == 2
    dropped = {r["id"]: r["reason"] for r in run.reasons}
    assert dropped[ours[7]["id"]] == "remote refused it: HTTP 500 Internal Server Error"
    assert ours[13]["id"] in dropped
    assert len(fake_remote.received) == 18
    more = indicators(3)
    _store(session, feed, more, home)
    again = run_feed(app, feed.id)  # not blocked by the poison objects
    assert again is not None and again.outcome == RunOutcome.SUCCESS and again.stored == 3


def test_a_remote_going_down_mid_push_fails_the_run_and_drops_nothing(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    """Refusals are blamed on objects only while the remote still answers; a remote that went
    down fails the run, and the next run resends from the last envelope it took."""
    ours = indicators(10)
    feed = _push_feed(session, app, home, fake_remote, page_size=5)
    _store(session, feed, ours, home)
    handler = fake_remote.handler_class
    real_post = handler.do_POST

    def then_down(request: object) -> None:
        real_post(request)
        fake_remote.mode = "500"

    handler.do_POST = then_down
    try:
        run = run_feed(app, feed.id)
    finally:
        handler.do_POST = real_post
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error is not None and run.error.startswith("remote answered HTTP 500")
    assert run.dropped == 0 and run.stored == 5
    fake_remote.mode = "ok"
    again = run_feed(app, feed.id)
    assert again is not None
    assert again.outcome == RunOutcome.SUCCESS, again.error
    assert again.stored == 5
    assert sorted(o["id"] for o in fake_remote.received) == sorted(o["id"] for o in ours)


def test_stored_counts_only_objects_new_at_the_remote(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    ours = indicators(100)
    fake_remote.add(ours[:96])  # the partner already has 96 of them
    feed = _push_feed(session, app, home, fake_remote, page_size=50)
    _store(session, feed, ours, home)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 4 and run.already_known == 96
    assert sorted(o["id"] for o in fake_remote.received) == sorted(o["id"] for o in ours[96:])
    pushes = session.scalars(select(FeedPush).where(FeedPush.feed_id == feed.id)).all()
    assert sum(p.successes for p in pushes) == 4
