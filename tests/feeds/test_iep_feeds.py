"""IEP 2.0 on feeds (issue 17): pushes carry each policy's marking ahead of its objects and
name the hub for a hidden source; expired versions are never pushed; a policy requiring
encryption in transit is never pushed to, nor pulled from, a plain http:// remote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from accord.iep import policy_in_marking
from accord.models.stix import StixObject
from accord.sharing.attribution import hub_identity_id
from accord.sharing.carried import EXPIRED, NEEDS_ENCRYPTION
from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import FeedRun, FeedSource, RunOutcome
from feeds.store import add_objects
from tests.feeds.conftest import Home, pull_feed, stored_ids
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote
from tests.iepsamples import iep_marking, marked_indicator


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _push_feed(session: Session, app: Flask, home: Home, remote: FakeRemote) -> FeedSource:
    feed = sources.create_feed(
        session, app, name="push-iep", kind="taxii21-push", collection=str(home.collection.id),
        partner_team=home.partner.name, max_tlp="amber", auth="basic", username=remote.user,
        secret=remote.password,
        settings={"url": f"{remote.url}/api1/", "collection": COLLECTION_ID, "page_size": 40})
    session.commit()
    return feed


def _store(session: Session, feed: FeedSource, objects: list[dict[str, Any]],
           home: Home) -> None:
    result = add_objects(session, feed.collection, feeds_user(session, feed), objects,
                         home.team)
    assert not result.rejected, result.rejected
    session.commit()


def _run(app: Flask, feed: FeedSource) -> FeedRun:
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.SUCCESS, run and run.error
    return run


def test_a_push_carries_the_policy_and_names_the_hub_for_a_hidden_source(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote,
        clock: ManualClock) -> None:
    feed = _push_feed(session, app, home, fake_remote)
    marking = iep_marking(attribution="must-not", permitted_actions="internally-visible-actions",
                          unmodified_resale="must-not", affected_party_notifications="may")
    hidden, named = marked_indicator(1, marking["id"]), marked_indicator(2)
    _store(session, feed, [marking, hidden, named], home)
    _run(app, feed)
    sent = [obj["id"] for obj in fake_remote.received]
    by_id = {obj["id"]: obj for obj in fake_remote.received}
    hub = hub_identity_id(app.config["HUB_NAME"])
    assert sent.index(marking["id"]) < sent.index(hidden["id"])
    assert sent.index(hub) < sent.index(hidden["id"]) and by_id[hub]["type"] == "identity"
    assert by_id[hidden["id"]]["created_by_ref"] == hub
    assert marking["id"] in by_id[hidden["id"]]["object_marking_refs"]
    assert by_id[named["id"]]["created_by_ref"] == home.team.identity_id
    assert home.team.identity_id not in str(by_id[hidden["id"]])
    policy = policy_in_marking(by_id[marking["id"]])
    assert policy is not None
    assert policy.to_json() == session.scalar(select(StixObject.iep_policy).where(
        StixObject.stix_id == hidden["id"]))
    assert sent.count(marking["id"]) == 1


def test_a_push_drops_expired_versions_and_unencrypted_ones_with_the_reason(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote,
        clock: ManualClock) -> None:
    feed = _push_feed(session, app, home, fake_remote)
    short = iep_marking(name="short", end_date=_stamp(utcnow() + timedelta(hours=1)))
    sealed = iep_marking(name="sealed", encrypt_in_transit="must")
    expiring, secret = marked_indicator(1, short["id"]), marked_indicator(2, sealed["id"])
    plain = marked_indicator(3)
    _store(session, feed, [short, sealed, expiring, secret, plain], home)
    clock.advance(seconds=7200)
    run = _run(app, feed)
    sent = {obj["id"] for obj in fake_remote.received}
    assert plain["id"] in sent
    assert expiring["id"] not in sent and secret["id"] not in sent
    reasons = {item["id"]: item["reason"] for item in run.reasons}
    assert reasons[expiring["id"]] == EXPIRED
    assert reasons[secret["id"]] == NEEDS_ENCRYPTION
    assert run.dropped == 2


def test_a_pull_over_http_refuses_objects_that_need_encryption_alone(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote,
        clock: ManualClock) -> None:
    sealed = iep_marking(name="sealed", encrypt_in_transit="must")
    secret, plain = marked_indicator(1, sealed["id"]), marked_indicator(2)
    fake_remote.add([sealed, secret, plain])
    feed = pull_feed(session, app, home, fake_remote)
    run = _run(app, feed)
    ids = set(stored_ids(session, home.collection))
    assert plain["id"] in ids and sealed["id"] in ids and secret["id"] not in ids
    assert {"id": secret["id"], "reason": NEEDS_ENCRYPTION} in run.reasons
    assert run.stored == 2 and run.dropped == 1
