"""taxii21-push: incremental sends, envelope status tracking, TLP and loop prevention, exercise
collections and objects kept out of live feeds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.errors import Conflict
from accord.models.collections import CollectionKind
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.sharing.ingest import EXERCISE_IN_LIVE
from accord.sharing.timestamps import parse_timestamp
from accord.tlp import Tlp
from exercises.runs.marking import EXERCISE_MARKING_ID
from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import FeedPush, FeedSource, RunOutcome
from feeds.store import add_objects
from tests.factories import make_collection, make_team
from tests.feeds.conftest import Home, indicator, indicators, pull_feed
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote


def _push_feed(session: Session, app: Flask, home: Home, remote: FakeRemote,
               max_tlp: str = "amber") -> FeedSource:
    feed = sources.create_feed(
        session, app, name="push-partner", kind="taxii21-push", collection=str(home.collection.id),
        partner_team=home.partner.name, max_tlp=max_tlp, auth="basic", username=remote.user,
        secret=remote.password,
        settings={"url": f"{remote.url}/api1/", "collection": COLLECTION_ID, "page_size": 40})
    session.commit()
    return feed


def _store(session: Session, feed: FeedSource, objects: list[dict[str, Any]], team: Team) -> None:
    result = add_objects(session, feed.collection, feeds_user(session, feed), objects, team)
    assert not result.rejected, result.rejected
    session.commit()


def _insert_unchecked(session: Session, feed: FeedSource, obj: dict[str, Any], team: Team
                      ) -> None:
    """A row written around the ingest checks, to prove the push guard holds on its own."""
    added = utcnow()
    session.add(StixObject(
        collection_id=feed.collection.id, stix_id=obj["id"], stix_type=obj["type"],
        version=parse_timestamp(obj["modified"]), date_added=added, is_latest=True,
        tlp=Tlp.GREEN, source_team_id=team.id, document=json.dumps(obj)))
    feed.collection.last_date_added = added
    session.commit()


def _sent(remote: FakeRemote) -> list[str]:
    return [obj["id"] for obj in remote.received]


def test_push_sends_new_objects_once_and_tracks_status(app: Flask, session: Session, home: Home,
                                                       fake_remote: FakeRemote) -> None:
    feed = _push_feed(session, app, home, fake_remote)
    ours = indicators(90)
    _store(session, feed, ours, home.team)

    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert (run.pages, run.fetched, run.stored) == (3, 90, 90)
    assert sorted(_sent(fake_remote)) == sorted(o["id"] for o in ours)
    pushes = session.scalars(select(FeedPush).where(FeedPush.feed_id == feed.id)).all()
    assert [p.total for p in pushes] == [40, 40, 10]
    assert all(p.status == "complete" and p.status_id for p in pushes)

    again = run_feed(app, feed.id)
    assert again is not None and again.fetched == 0 and len(fake_remote.received) == 90
    more = indicators(5)
    _store(session, feed, more, home.team)
    third = run_feed(app, feed.id)
    assert third is not None and third.stored == 5
    assert len(fake_remote.received) == 95


def test_push_never_sends_red_foreign_amber_strict_or_above_the_destination(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    feed = _push_feed(session, app, home, fake_remote, max_tlp="amber")
    home.collection.allows_red = True
    session.commit()
    third = make_team(session, "Third CERT", "FR")
    ours = {level: indicator(level) for level in Tlp}
    foreign_strict = indicator(Tlp.AMBER_STRICT)
    foreign_green = indicator(Tlp.GREEN)
    _store(session, feed, list(ours.values()), home.team)
    _store(session, feed, [foreign_strict, foreign_green], third)

    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.SUCCESS
    sent = set(_sent(fake_remote))
    assert sent == {ours[Tlp.CLEAR]["id"], ours[Tlp.GREEN]["id"], ours[Tlp.AMBER]["id"],
                    foreign_green["id"]}
    reasons = {r["id"]: r["reason"] for r in run.reasons}
    assert "TLP:RED" in reasons[ours[Tlp.RED]["id"]]
    assert "another team" in reasons[foreign_strict["id"]]
    assert "above what the destination" in reasons[ours[Tlp.AMBER_STRICT]["id"]]
    assert run.dropped == 3


def test_own_amber_strict_goes_only_to_a_destination_allowed_it(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    feed = _push_feed(session, app, home, fake_remote, max_tlp="amber+strict")
    strict = indicator(Tlp.AMBER_STRICT)
    _store(session, feed, [strict], home.team)
    run_feed(app, feed.id)
    assert _sent(fake_remote) == [strict["id"]]


def test_objects_from_the_partner_are_never_pushed_back(app: Flask, session: Session, home: Home,
                                                        fake_remote: FakeRemote) -> None:
    pulled = indicators(6)
    fake_remote.add(pulled)
    pull = pull_feed(session, app, home, fake_remote)
    assert run_feed(app, pull.id) is not None
    mine = indicators(2)
    push = _push_feed(session, app, home, fake_remote)
    _store(session, push, mine, home.team)
    run = run_feed(app, push.id)
    assert run is not None and run.dropped == 6 and run.stored == 2
    assert set(_sent(fake_remote)) == {o["id"] for o in mine}
    assert all("loop prevention" in r["reason"] for r in run.reasons)
    # Our objects echoed back by the partner are versions we hold: never re-imported.
    again = run_feed(app, pull.id)
    assert again is not None and again.stored == 0 and again.already_known >= 2


def test_exercise_collections_are_never_feed_sources_or_targets(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    drill = make_collection(session, home.team, "Drill", kind=CollectionKind.EXERCISE)
    for kind, settings in [("taxii21-pull", {"url": fake_remote.url, "collection": "x"}),
                           ("taxii21-push", {"url": fake_remote.url, "collection": "x"}),
                           ("list", {"url": "http://127.0.0.1:9/list"})]:
        with pytest.raises(Conflict, match="exercise collection"):
            sources.create_feed(session, app, name=f"bad-{kind}", kind=kind,
                                collection=str(drill.id), partner_team=home.partner.name,
                                settings=settings)
    feed = _push_feed(session, app, home, fake_remote)
    with pytest.raises(Conflict, match="exercise collection"):
        sources.update_feed(session, app, feed, {"collection": str(drill.id)})


def test_exercise_objects_never_enter_or_leave_a_live_feed(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    marked = indicator(Tlp.GREEN)
    marked["object_marking_refs"].append(EXERCISE_MARKING_ID)
    labelled = indicator(Tlp.GREEN, labels=["exercise"])
    fake_remote.add([marked, labelled, *indicators(2)])
    pull = pull_feed(session, app, home, fake_remote)
    run = run_feed(app, pull.id)
    assert run is not None and (run.stored, run.dropped) == (2, 2)
    assert {r["reason"] for r in run.reasons} == {"exercise data never enters a live feed"}

    push = _push_feed(session, app, home, fake_remote)
    sneaked = indicator(Tlp.GREEN, labels=["exercise"])
    refused = add_objects(session, push.collection, feeds_user(session, push), [sneaked],
                          home.team)
    assert [r["reason"] for r in refused.rejected] == [EXERCISE_IN_LIVE]  # the hub refuses it
    _insert_unchecked(session, push, sneaked, home.team)  # e.g. data older than that check
    fake_remote.received.clear()
    out = run_feed(app, push.id)
    assert out is not None and sneaked["id"] not in _sent(fake_remote)


def test_pending_envelopes_are_followed_up_on_the_next_run(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    fake_remote.post_pending = True
    feed = _push_feed(session, app, home, fake_remote)
    _store(session, feed, indicators(10), home.team)
    run_feed(app, feed.id)
    push = session.scalars(select(FeedPush).where(FeedPush.feed_id == feed.id)).one()
    assert (push.status, push.pendings, push.successes) == ("pending", 10, 0)
    run_feed(app, feed.id)
    session.refresh(push)
    assert (push.status, push.pendings, push.successes) == ("complete", 0, 10)
    assert len(fake_remote.received) == 10  # followed up, not re-sent
