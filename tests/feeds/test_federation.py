"""Three Accord hubs federated in a ring and in a mesh: TLP, origin and AMBER+STRICT per hop.

Hubs A (Alpha CERT), B (Bravo CERT) and C (Charlie CERT) each have their own database and are
served on 127.0.0.1. Every hub registers the three teams with their real STIX identities
(``accord team create --identity``), so an object keeps its origin wherever it travels. Each
hub's live collection has its own default TLP (A AMBER, B CLEAR, C GREEN): an unmarked object
must stay AMBER everywhere, never take B's CLEAR.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from accord.assembly import create_app
from accord.db import database
from accord.migrate import upgrade
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import Role
from accord.services import collections, teams, tokens, users
from accord.sharing.ingest import NOT_SOURCE_TEAM, SAME_VERSION, Author, add_objects
from accord.tlp import Tlp, marking_ref
from feeds import sources
from feeds.engine import run_feed
from feeds.models import RunOutcome
from tests.conftest import LiveServer, _create_postgres_database, app_config, delete_all_rows
from tests.taxii.wire import Wire, bearer, failures_by_id

pytestmark = pytest.mark.slow

IDENTITIES = {"Alpha CERT": "identity--a1a1a1a1-0000-4000-8000-000000000001",
              "Bravo CERT": "identity--b2b2b2b2-0000-4000-8000-000000000002",
              "Charlie CERT": "identity--c3c3c3c3-0000-4000-8000-000000000003"}
DEFAULTS = {"Alpha CERT": Tlp.AMBER, "Bravo CERT": Tlp.CLEAR, "Charlie CERT": Tlp.GREEN}
V1, V2 = "2026-10-01T00:00:00.000Z", "2026-10-02T00:00:00.000Z"


@dataclass
class Hub:
    """One hub: its app and URL, its own team, its live collection, and the tokens it issued
    to the other teams' robots (by team name)."""

    name: str
    app: Flask
    server: LiveServer
    collection_id: str
    issued: dict[str, str]

    @property
    def url(self) -> str:
        return f"{self.server.url}/taxii2/"

    def wire(self, team: str) -> Wire:
        """HTTP access to this hub's live collection with the token issued to ``team``."""
        return Wire(self.server.url, self.collection_id, bearer(self.issued[team]))

    def rows(self) -> list[tuple[str, str, Tlp, str | None, str]]:
        """Every stored version: (id, version, TLP, origin, source team)."""
        with database(self.app).sessionmaker() as session:
            return sorted((row.stix_id, row.version.isoformat(), row.tlp, row.origin, name)
                          for row, name in session.execute(
                              select(StixObject, Team.name).join(
                                  Team, Team.id == StixObject.source_team_id)))

    def level(self, stix_id: str) -> set[Tlp]:
        return {tlp for sid, _, tlp, _, _ in self.rows() if sid == stix_id}

    def share(self, *objects: dict[str, Any]) -> None:
        """Store objects as this hub's own team (an analyst sharing)."""
        with database(self.app).sessionmaker() as session:
            team = session.scalar(select(Team).where(Team.name == self.name))
            collection = session.get(Collection, uuid.UUID(self.collection_id))
            assert team is not None and collection is not None
            result = add_objects(session, collection, list(objects), Author(team.id))
            assert result.failures == [], result.failures
            session.commit()


def _database(tmp: pytest.TempPathFactory, name: str) -> tuple[str, sa.Engine | None]:
    admin_url = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if admin_url:
        return _create_postgres_database(admin_url)
    return f"sqlite:///{tmp.mktemp(name) / f'{name}.sqlite3'}", None


def _build(app: Flask, name: str) -> tuple[str, dict[str, str]]:
    """Teams with their real identities, the live collection, a robot and token per peer."""
    with database(app).sessionmaker() as session:
        for team, identity in IDENTITIES.items():
            teams.create_team(session, team, "EU", identity_id=identity)
        collection = collections.create_collection(
            session, f"{name} live", name, default_tlp=DEFAULTS[name], allows_red=True)
        issued = {}
        for peer in IDENTITIES:
            if peer == name:
                continue
            collections.grant(session, str(collection.id), peer, True, True, Tlp.AMBER_STRICT)
            robot = f"robot-{peer.split()[0].lower()}"
            users.create_user(session, robot, peer, Role.SERVICE, None)
            _, secret = tokens.create_token(session, robot, "sync", ["read", "write"])
            issued[peer] = secret
        session.commit()
        return str(collection.id), issued


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Hub]]:
    built: dict[str, Hub] = {}
    engines: list[tuple[sa.Engine, str]] = []
    for name in IDENTITIES:
        url, engine = _database(tmp_path_factory, name.split()[0].lower())
        if engine is not None:
            engines.append((engine, url))
        app = create_app(app_config(url, tmp_path_factory.mktemp(f"{name.split()[0]}-i")))
        upgrade(app)
        server = LiveServer(app)
        server.start()
        collection_id, issued = _build(app, name)
        built[name] = Hub(name, app, server, collection_id, issued)
    yield built
    for hub in built.values():
        hub.server.stop()
        delete_all_rows(hub.app)
        database(hub.app).engine.dispose()
    for engine, url in engines:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" '
                                 "WITH (FORCE)"))
        engine.dispose()


def _feed(local: Hub, remote: Hub, kind: str, **options: Any) -> uuid.UUID:
    """A feed on ``local`` to ``remote``'s live collection, with the token ``remote`` issued
    to ``local``'s team."""
    with database(local.app).sessionmaker() as session:
        feed = sources.create_feed(
            session, local.app, name=f"{kind}-{local.name[0]}{remote.name[0]}", kind=kind,
            collection=local.collection_id, partner_team=remote.name, auth="bearer",
            secret=remote.issued[local.name],
            settings={"url": remote.url, "collection": remote.collection_id, "page_size": 50},
            **options)
        session.commit()
        return feed.id


def _run(hub: Hub, feed_id: uuid.UUID) -> Any:
    run = run_feed(hub.app, feed_id)
    assert run is not None and run.outcome == RunOutcome.SUCCESS, run.error if run else None
    return run


def _indicator(n: int, *, modified: str = V1, creator: str | None = "Alpha CERT",
               **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": V1, "modified": modified, "name": f"federated {n}", "valid_from": V1,
        "pattern": f"[ipv4-addr:value = '198.18.0.{n}']", "pattern_type": "stix", **extra}
    if creator:
        obj["created_by_ref"] = IDENTITIES[creator]
    return obj


def test_ring_keeps_tlp_origin_and_amber_strict_per_hop(hubs: dict[str, Hub]) -> None:
    a, b, c = hubs["Alpha CERT"], hubs["Bravo CERT"], hubs["Charlie CERT"]
    unmarked = _indicator(1, creator=None)  # AMBER on A by its collection default
    green = _indicator(2, object_marking_refs=[marking_ref(Tlp.GREEN)])
    granular = _indicator(3, object_marking_refs=[marking_ref(Tlp.GREEN)], description="src",
                          granular_markings=[{"marking_ref": marking_ref(Tlp.RED),
                                              "selectors": ["description"]}])
    strict = _indicator(4, object_marking_refs=[marking_ref(Tlp.AMBER_STRICT)])
    red = _indicator(5, object_marking_refs=[marking_ref(Tlp.RED)])
    a.share(unmarked, green, granular, strict, red)
    ring = [(a, b), (b, c), (c, a)]
    pushes = {(x.name, y.name): _feed(x, y, "taxii21-push", max_tlp="amber+strict")
              for x, y in ring}
    for _ in range(2):  # twice round: the second turn must change nothing
        for x, y in ring:
            _run(x, pushes[(x.name, y.name)])
    for hub in (b, c):
        assert hub.level(unmarked["id"]) == {Tlp.AMBER}, hub.name  # not B's CLEAR default
        assert hub.level(green["id"]) == {Tlp.GREEN}
        assert hub.level(granular["id"]) == set() and hub.level(red["id"]) == set()
        origins = {origin for sid, _, _, origin, _ in hub.rows()
                   if sid in (unmarked["id"], green["id"])}
        assert origins == {IDENTITIES["Alpha CERT"]}, hub.name  # not the forwarding partner
    assert b.level(strict["id"]) == {Tlp.AMBER_STRICT}  # A's own, shared with B
    assert c.level(strict["id"]) == set()  # two hops away: impossible
    for hub in hubs.values():  # nothing looped back as a second copy
        keys = [(sid, version) for sid, version, *_ in hub.rows()]
        assert len(keys) == len(set(keys)), hub.name
    assert [row for row in a.rows() if row[4] != "Alpha CERT"] == []

    # Only the origin may version A's object on any hub; a same-version forgery fails.
    changed = {**green, "modified": V2, "pattern": "[ipv4-addr:value = '198.18.9.9']"}
    by_bravo = c.wire("Bravo CERT").add({k: v for k, v in changed.items()
                                         if k != "created_by_ref"})
    assert failures_by_id(by_bravo) == {green["id"]: NOT_SOURCE_TEAM}
    forged = c.wire("Bravo CERT").add({**green, "pattern": "[ipv4-addr:value = '198.18.9.8']"})
    assert failures_by_id(forged) == {green["id"]: SAME_VERSION}
    a.share({**green, "modified": V2, "name": "federated 2, revised"})
    for x, y in ring:
        _run(x, pushes[(x.name, y.name)])
    assert {(sid, version) for sid, version, *_ in c.rows() if sid == green["id"]} == {
        (green["id"], "2026-10-01T00:00:00+00:00"), (green["id"], "2026-10-02T00:00:00+00:00")}


def test_mesh_pulls_keep_the_rules_and_never_duplicate(hubs: dict[str, Hub]) -> None:
    a, b, c = hubs["Alpha CERT"], hubs["Bravo CERT"], hubs["Charlie CERT"]
    objects = {
        "a unmarked": (a, _indicator(11, creator=None)),
        "a strict": (a, _indicator(12, object_marking_refs=[marking_ref(Tlp.AMBER_STRICT)])),
        "b unmarked": (b, _indicator(13, creator="Bravo CERT")),  # CLEAR by B's default
        "c amber": (c, _indicator(14, creator="Charlie CERT",
                                  object_marking_refs=[marking_ref(Tlp.AMBER)])),
        "c red": (c, _indicator(15, creator="Charlie CERT",
                                object_marking_refs=[marking_ref(Tlp.RED)])),
    }
    for hub, obj in objects.values():
        hub.share(obj)
    with pytest.raises(Exception, match="RED is never synced"):
        _feed(a, c, "taxii21-pull", max_tlp="red")
    pulls = [(x, y, _feed(x, y, "taxii21-pull", max_tlp="amber"))
             for x in hubs.values() for y in hubs.values() if x is not y]
    for _ in range(2):
        for x, _y, feed_id in pulls:
            _run(x, feed_id)
    expected = {"a unmarked": Tlp.AMBER, "b unmarked": Tlp.CLEAR, "c amber": Tlp.AMBER}
    for name, level in expected.items():
        home, obj = objects[name]
        for hub in hubs.values():
            assert hub.level(obj["id"]) == {level}, (name, hub.name)
            origin = {o for sid, _, _, o, _ in hub.rows() if sid == obj["id"]}
            assert origin == {IDENTITIES[home.name]}, (name, hub.name)
    for hub in (b, c):  # AMBER+STRICT and RED never pulled; pulls never re-serve them
        assert hub.level(objects["a strict"][1]["id"]) == set()
    for hub in (a, b):
        assert hub.level(objects["c red"][1]["id"]) == set()
    for hub in hubs.values():
        keys = [(sid, version) for sid, version, *_ in hub.rows()]
        assert len(keys) == len(set(keys)), hub.name
