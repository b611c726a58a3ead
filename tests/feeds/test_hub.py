"""Two Accord hubs federated through TAXII 2.1: pull and push in both directions, with
incremental re-runs. Hub A is the test app on its live server; hub B is a second app with its
own database, served on 127.0.0.1 the same way. Needs the TAXII server (accord.taxii)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from accord.assembly import create_app
from accord.db import database
from accord.migrate import upgrade
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role
from accord.tlp import Tlp
from feeds import sources
from feeds.engine import run_feed, service_user
from feeds.models import FeedSource, RunOutcome
from feeds.store import add_objects
from tests.conftest import LiveServer, _create_postgres_database, app_config, delete_all_rows
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.feeds.conftest import indicator, indicators, stored_count, stored_ids

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def _hub_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, LiveServer]]:
    admin_url = os.environ.get("ACCORD_TEST_DATABASE_URL")
    engine = None
    if admin_url:
        url, engine = _create_postgres_database(admin_url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('hub-b') / 'hub-b.sqlite3'}"
    app = create_app(app_config(url, tmp_path_factory.mktemp("hub-b-instance")))
    upgrade(app)
    server = LiveServer(app)
    server.start()
    yield app, server
    server.stop()
    database(app).engine.dispose()
    if engine is not None:
        name = sa.make_url(url).database
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class Side:
    """One hub as seen by the tests: its app, URL, own team, live collection and the token
    the other hub's feeds use on it."""

    app: Flask
    url: str
    team: Team
    peer: Team  # the other hub's team, as known on this hub
    collection: Collection
    token: str


def _side(app: Flask, url: str, own: str, other: str) -> Side:
    with database(app).sessionmaker() as session:
        team = make_team(session, own, "VN")
        peer = make_team(session, other, "EE")
        collection = make_collection(session, team, f"{own} live")
        make_grant(session, collection, peer, read=True, write=True, max_tlp=Tlp.AMBER)
        robot = make_user(session, peer, Role.SERVICE, username=f"sync-{peer.name.split()[0]}")
        _, token = make_token(session, robot, ("read", "write"))
        return Side(app, f"{url}/taxii2/", team, peer, collection, token)


@pytest.fixture
def hubs(app: Flask, live_server: LiveServer, _hub_b: tuple[Flask, LiveServer]
         ) -> Iterator[tuple[Side, Side]]:
    app_b, server_b = _hub_b
    try:
        yield (_side(app, live_server.url, "Alpha CERT", "Bravo CERT"),
               _side(app_b, server_b.url, "Bravo CERT", "Alpha CERT"))
    finally:
        delete_all_rows(app_b)


def _feed(local: Side, remote: Side, kind: str, name: str) -> FeedSource:
    with database(local.app).sessionmaker() as session:
        feed = sources.create_feed(
            session, local.app, name=name, kind=kind, collection=str(local.collection.id),
            partner_team=local.peer.name, auth="bearer", secret=remote.token,
            settings={"url": remote.url, "collection": str(remote.collection.id),
                      "page_size": 100})
        session.commit()
        return feed


def _share(side: Side, objects: list[dict[str, Any]], team: Team | None = None) -> None:
    with database(side.app).sessionmaker() as session:
        collection = session.get(Collection, side.collection.id)
        assert collection is not None
        author = service_user(session, collection.owner_team)
        result = add_objects(session, collection, author, objects, team or side.team)
        assert not result.rejected
        session.commit()


def _run(side: Side, feed: FeedSource) -> int:
    run = run_feed(side.app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    return run.stored


def test_pull_both_directions_incrementally(hubs: tuple[Side, Side]) -> None:
    alpha, bravo = hubs
    _share(bravo, indicators(250))
    _share(alpha, indicators(40))
    a_pulls = _feed(alpha, bravo, "taxii21-pull", "alpha-from-bravo")
    b_pulls = _feed(bravo, alpha, "taxii21-pull", "bravo-from-alpha")
    assert _run(alpha, a_pulls) == 250
    assert _run(bravo, b_pulls) == 40
    _share(bravo, indicators(7))
    assert _run(alpha, a_pulls) == 7
    assert _run(alpha, a_pulls) == 0
    with database(alpha.app).sessionmaker() as session:
        ids = stored_ids(session, alpha.collection)
        assert len(ids) == len(set(ids)) == 40 + 257
    # Bravo pulls again: the versions alpha got from bravo come back but are never
    # re-imported (same id and modified); only alpha's new objects are stored.
    _share(alpha, indicators(3))
    assert _run(bravo, b_pulls) == 3


def test_push_both_directions_incrementally_with_tlp(hubs: tuple[Side, Side]) -> None:
    alpha, bravo = hubs
    _share(alpha, [*indicators(120), indicator(Tlp.AMBER_STRICT)])
    a_pushes = _feed(alpha, bravo, "taxii21-push", "alpha-to-bravo")
    assert _run(alpha, a_pushes) == 120
    _share(alpha, indicators(5))
    assert _run(alpha, a_pushes) == 5
    b_pushes = _feed(bravo, alpha, "taxii21-push", "bravo-to-alpha")
    _share(bravo, indicators(9))
    assert _run(bravo, b_pushes) == 9  # alpha's 125 pushed to bravo are not pushed back
    with database(bravo.app).sessionmaker() as session:
        assert stored_count(session, bravo.collection) == 125 + 9
    with database(alpha.app).sessionmaker() as session:
        assert stored_count(session, alpha.collection) == 121 + 5 + 9
    assert alpha.app.config["DATABASE_URL"] != bravo.app.config["DATABASE_URL"]
