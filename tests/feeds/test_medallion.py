"""Pull from and push to medallion 3.0.0, a foreign TAXII 2.1 server, with incremental re-runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection, as_pages

from accord.tlp import Tlp
from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import FeedPush, FeedSource, RunOutcome
from feeds.store import add_objects
from tests.feeds.conftest import Home, indicator, indicators, stored_count
from tests.feeds.medallion import COLLECTION, PASSWORD, USER, Medallion

pytestmark = pytest.mark.slow


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[Medallion]:
    server = Medallion(tmp_path, indicators(230) + [indicator(Tlp.RED)])
    yield server
    server.stop()


def _feed(session: Session, app: Flask, home: Home, server: Medallion, kind: str,
          name: str) -> FeedSource:
    feed = sources.create_feed(
        session, app, name=name, kind=kind, collection=str(home.collection.id),
        partner_team=home.partner.name, auth="basic", username=USER, secret=PASSWORD,
        settings={"url": f"{server.url}/taxii2/", "collection": COLLECTION, "timeout": 10})
    session.commit()
    return feed


def _remote(server: Medallion) -> Collection:
    return Collection(f"{server.url}/api1/collections/{COLLECTION}/", user=USER, password=PASSWORD)


def test_pull_from_medallion_incrementally(app: Flask, session: Session, home: Home,
                                           medallion: Medallion) -> None:
    feed = _feed(session, app, home, medallion, "taxii21-pull", "from-medallion")
    first = run_feed(app, feed.id)
    assert first is not None
    assert first.outcome == RunOutcome.SUCCESS, first.error
    assert (first.pages, first.fetched, first.stored, first.dropped) == (3, 231, 230, 1)
    assert stored_count(session, home.collection) == 230

    remote = _remote(medallion)
    extra = indicators(4)
    remote.add_objects({"objects": extra})
    second = run_feed(app, feed.id)
    assert second is not None
    assert second.outcome == RunOutcome.SUCCESS, second.error
    assert second.stored == 4 and second.fetched <= 5
    assert stored_count(session, home.collection) == 234
    third = run_feed(app, feed.id)
    # Idle: medallion dates the 4 objects of that one POST alike; they are not fetched again.
    assert third is not None
    assert third.outcome == RunOutcome.SUCCESS, third.error
    assert third.stored == 0 and third.fetched == 0
    remote.close()


def test_push_to_medallion_incrementally(app: Flask, session: Session, home: Home,
                                         medallion: Medallion) -> None:
    feed = _feed(session, app, home, medallion, "taxii21-push", "to-medallion")
    ours = indicators(30)
    add_objects(session, feed.collection, feeds_user(session, feed), ours, home.team)
    session.commit()
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 30
    pushes = session.scalars(select(FeedPush).where(FeedPush.feed_id == feed.id)).all()
    assert [(p.status, p.successes) for p in pushes] == [("complete", 30)]

    more = indicators(3)
    add_objects(session, feed.collection, feeds_user(session, feed), more, home.team)
    session.commit()
    again = run_feed(app, feed.id)
    assert again is not None and again.stored == 3 and again.fetched == 3
    remote = _remote(medallion)
    ids = {obj["id"] for page in as_pages(remote.get_objects, per_request=100)
           for obj in page.get("objects", [])}
    assert {o["id"] for o in ours + more} <= ids
    remote.close()
