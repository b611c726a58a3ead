"""Pull from and push to OpenTAXII 0.10.0b1, a foreign TAXII 2.1 server with its own quirks
(relative API root URLs, objects it refuses with a 500), with incremental re-runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection, as_pages

from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import FeedSource, RunOutcome
from feeds.store import add_objects
from tests.feeds.conftest import Home, indicator, indicators, stored_count
from tests.feeds.opentaxii import PASSWORD, USER, OpenTaxii

pytestmark = pytest.mark.slow


@pytest.fixture
def opentaxii(tmp_path: Path) -> Iterator[OpenTaxii]:
    server = OpenTaxii(tmp_path)
    yield server
    server.stop()


def _feed(session: Session, app: Flask, home: Home, server: OpenTaxii, kind: str
          ) -> FeedSource:
    feed = sources.create_feed(
        session, app, name=f"opentaxii-{kind}", kind=kind, collection=str(home.collection.id),
        partner_team=home.partner.name, auth="basic", username=USER, secret=PASSWORD,
        settings={"url": server.discovery, "collection": server.collection, "timeout": 10,
                  "page_size": 40})
    session.commit()
    return feed


def _remote(server: OpenTaxii) -> Collection:
    return Collection(server.collection_url, user=USER, password=PASSWORD)


def _remote_ids(server: OpenTaxii) -> set[str]:
    remote = _remote(server)
    try:
        return {obj["id"] for page in as_pages(remote.get_objects, per_request=100)
                for obj in page.get("objects", [])}
    finally:
        remote.close()


def test_pull_from_opentaxii_incrementally(app: Flask, session: Session, home: Home,
                                           opentaxii: OpenTaxii) -> None:
    remote = _remote(opentaxii)
    remote.add_objects({"objects": indicators(90)})
    feed = _feed(session, app, home, opentaxii, "taxii21-pull")
    first = run_feed(app, feed.id)
    assert first is not None
    assert first.outcome == RunOutcome.SUCCESS, first.error
    assert first.stored == 90 and stored_count(session, home.collection) == 90

    remote.add_objects({"objects": indicators(4)})
    second = run_feed(app, feed.id)
    assert second is not None
    assert second.outcome == RunOutcome.SUCCESS, second.error
    assert second.stored == 4 and second.fetched - second.already_known == 4
    third = run_feed(app, feed.id)
    assert third is not None and third.stored == 0
    assert stored_count(session, home.collection) == 94
    remote.close()


def test_push_to_opentaxii_isolates_what_it_refuses(app: Flask, session: Session, home: Home,
                                                    opentaxii: OpenTaxii) -> None:
    feed = _feed(session, app, home, opentaxii, "taxii21-push")
    whole_seconds = indicator(created="2026-03-01T10:00:00Z", modified="2026-03-01T10:00:00Z",
                              valid_from="2026-03-01T10:00:00Z")
    ours = [*indicators(30), whole_seconds, *indicators(9)]
    result = add_objects(session, feed.collection, feeds_user(session, feed), ours, home.team)
    assert not result.rejected, result.rejected
    session.commit()
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    accepted = _remote_ids(opentaxii)
    refused = {r["id"] for r in run.reasons if r["reason"].startswith("remote refused it")}
    # OpenTAXII answers 500 to an envelope holding whole-second timestamps: that one object
    # is isolated and dropped with the reason; everything else reached it.
    assert refused == {whole_seconds["id"]}
    assert accepted == {o["id"] for o in ours} - refused
    assert run.stored == len(accepted) and run.dropped == len(refused)

    more = indicators(4)
    add_objects(session, feed.collection, feeds_user(session, feed), more, home.team)
    session.commit()
    again = run_feed(app, feed.id)
    assert again is not None
    assert again.outcome == RunOutcome.SUCCESS, again.error
    assert again.stored == 4 and again.fetched == 4


def test_push_counts_only_objects_new_at_opentaxii(app: Flask, session: Session, home: Home,
                                                   opentaxii: OpenTaxii) -> None:
    ours = indicators(20)
    remote = _remote(opentaxii)
    remote.add_objects({"objects": ours[:16]})  # the partner already holds 16 of them
    remote.close()
    feed = _feed(session, app, home, opentaxii, "taxii21-push")
    add_objects(session, feed.collection, feeds_user(session, feed), ours, home.team)
    session.commit()
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.stored == 4 and run.already_known == 16
    assert _remote_ids(opentaxii) == {o["id"] for o in ours}
