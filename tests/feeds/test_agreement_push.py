"""A push feed of a collection made under a sharing agreement stops sending to the partner when
the agreement ends, like the partner's grants (issue 17), and never sends to a non-party."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from accord.services import agreements
from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import RunOutcome
from feeds.store import add_objects
from tests.factories import make_team
from tests.feeds.conftest import Home, indicators
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote


def _push(session: Session, app: Flask, home: Home, remote: FakeRemote, partner: str) -> str:
    feed = sources.create_feed(
        session, app, name=f"push-{partner}", kind="taxii21-push",
        collection=str(home.collection.id), partner_team=partner, max_tlp="amber", auth="basic",
        username=remote.user, secret=remote.password,
        settings={"url": f"{remote.url}/api1/", "collection": COLLECTION_ID})
    session.commit()
    return str(feed.id)


def test_push_stops_when_the_agreement_ends(app: Flask, session: Session, home: Home,
                                            fake_remote: FakeRemote, clock: ManualClock) -> None:
    outsider = make_team(session, "Outsider CERT")
    agreement = agreements.create_agreement(
        session, "Push terms", home.team.name, "Testing pushes", [home.partner.name],
        starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow() + timedelta(minutes=5))
    home.collection.agreement_id = agreement.id
    session.commit()
    feed_id = _push(session, app, home, fake_remote, home.partner.name)
    stranger_feed = _push(session, app, home, fake_remote, outsider.name)
    feed = sources.get_feed(session, feed_id)
    first = indicators(3)
    assert not add_objects(session, home.collection, feeds_user(session, feed), first,
                           home.team).rejected
    session.commit()

    sent = run_feed(app, feed.id)
    assert sent is not None and sent.outcome == RunOutcome.SUCCESS and sent.stored == 3
    refused = run_feed(app, sources.get_feed(session, stranger_feed).id)
    assert refused is not None and refused.outcome == RunOutcome.FAILED
    assert refused.error == ("nothing pushed: the team is not a party to the sharing agreement "
                             "'Push terms'")

    clock.advance(seconds=301)
    assert not add_objects(session, home.collection, feeds_user(session, feed), indicators(2),
                           home.team).rejected
    session.commit()
    after = run_feed(app, feed.id)
    assert after is not None and after.outcome == RunOutcome.FAILED
    assert after.error == "nothing pushed: the sharing agreement 'Push terms' is not in force"
    assert len(fake_remote.received) == 3
