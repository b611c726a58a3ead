"""A feed run never keeps a database write open while it waits for a partner.

On SQLite the hub has one write lock: a run that held it through a request stalled every other
writer (the hub's own TAXII reads record an audit row) until they failed with "database is
locked", and a hub pulling from itself waited on its own lock. Each remote here asks, as every
request arrives, whether some connection of the hub holds an uncommitted write.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from feeds import sources
from feeds.engine import feeds_user, run_feed
from feeds.models import RunOutcome
from feeds.store import add_objects
from tests.dbprobe import write_lock_held
from tests.feeds.conftest import Home, indicators, pull_feed
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote, ListServer


class Witness:
    """Records, for each request a remote answers, whether the hub held a write open."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.seen: list[bool] = []

    def __call__(self) -> None:
        self.seen.append(write_lock_held(self.app))

    def assert_never_held(self) -> None:
        assert self.seen, "the remote was never asked"
        assert not any(self.seen), f"a write was open during {sum(self.seen)} of " \
                                   f"{len(self.seen)} requests"


def test_pull_runs_wait_for_the_remote_with_nothing_uncommitted(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    witness = Witness(app)
    fake_remote.on_request = witness
    fake_remote.add(indicators(30))  # one page: no page is stored while the next is read
    feed = pull_feed(session, app, home, fake_remote)
    for trigger in ("schedule", "manual", "schedule"):
        run = run_feed(app, feed.id, trigger=trigger)
        assert run is not None and run.outcome == RunOutcome.SUCCESS, run and run.error
        fake_remote.add(indicators(3))
    witness.assert_never_held()


def test_push_runs_wait_for_the_remote_with_nothing_uncommitted(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote) -> None:
    witness = Witness(app)
    fake_remote.on_request = witness
    fake_remote.post_pending = True  # the second run follows the envelope's status up
    feed = sources.create_feed(
        session, app, name="push-partner", kind="taxii21-push", collection=str(home.collection.id),
        partner_team=home.partner.name, max_tlp="amber", auth="basic", username=fake_remote.user,
        secret=fake_remote.password,
        settings={"url": f"{fake_remote.url}/api1/", "collection": COLLECTION_ID})
    session.commit()
    assert not add_objects(session, feed.collection, feeds_user(session, feed), indicators(10),
                           home.team).rejected
    session.commit()
    for trigger in ("schedule", "manual"):
        run = run_feed(app, feed.id, trigger=trigger)
        assert run is not None and run.outcome == RunOutcome.SUCCESS, run and run.error
    assert len(fake_remote.received) == 10
    witness.assert_never_held()


def test_list_runs_download_with_nothing_uncommitted(
        app: Flask, session: Session, home: Home, list_server: ListServer) -> None:
    witness = Witness(app)
    list_server.on_request = witness
    list_server.body = b"evil.example\n198.51.100.7\n"
    feed = sources.create_feed(session, app, name="list-probe", kind="list",
                               collection=str(home.collection.id), partner_team=home.partner.name,
                               settings={"url": list_server.url}, max_tlp="clear")
    session.commit()
    for trigger in ("schedule", "manual"):
        run = run_feed(app, feed.id, trigger=trigger)
        assert run is not None and run.outcome == RunOutcome.SUCCESS, run and run.error
    witness.assert_never_held()
