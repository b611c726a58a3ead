"""Delivery: exercise marking and label on every published object, audience-only briefings,
webhooks, and exercise data kept out of live collections."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import authz
from accord.db import database
from accord.errors import Conflict
from accord.models.collections import Collection, CollectionKind
from accord.models.stix import StixObject
from accord.sharing import exercise_separation as separation
from accord.tlp import Tlp, marking_ref
from exercises.models import ExerciseDelivery
from exercises.runs import control, webhooks
from exercises.runs.marking import EXERCISE_LABEL, EXERCISE_MARKING_ID, run_id
from tests.exercises import stixplay
from tests.exercises.conftest import World, schedule
from tests.factories import make_collection, make_grant

C2 = "indicator--48dcc4d3-5ab1-4182-8df0-bc53b5cb690c"
DOMAIN = "indicator--0cfe34ae-7bb5-4edf-b2f0-f6b822fa1bf0"


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        length = int(self.headers["Content-Length"])
        _Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def webhook() -> Iterator[str]:
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def _documents(session: Session, collection_id: Any) -> list[dict[str, Any]]:
    rows = session.scalars(select(StixObject).where(StixObject.collection_id == collection_id))
    return [json.loads(row.document) for row in rows]


def test_published_objects_are_marked_labelled_and_rewritten(session: Session,
                                                             world: World) -> None:
    run = schedule(session, world)
    control.release_now(session, run, run.injects[0])
    session.commit()
    objects = {o["id"]: o for o in _documents(session, run.collection_id)}
    marking = objects[EXERCISE_MARKING_ID]
    assert marking["definition_type"] == "statement"
    assert marking["definition"]["statement"].startswith("EXERCISE — NOT REAL")
    indicator = objects[run_id(run.id, DOMAIN)]
    assert DOMAIN not in objects  # per-run id, so two runs never share one
    assert EXERCISE_LABEL in indicator["labels"]
    assert indicator["object_marking_refs"] == [marking_ref(Tlp.AMBER), EXERCISE_MARKING_ID]
    assert indicator["created_by_ref"] == world.teams["Lotus CERT"].identity_id
    assert indicator["created"] == indicator["valid_from"]


def test_audience_only_injects_go_to_the_audience_briefing_only(session: Session,
                                                                world: World) -> None:
    run = schedule(session, world)
    inject = next(i for i in run.injects if i.key == "INJ-02")  # audience: north only
    control.release_now(session, run, inject)
    session.commit()
    c2 = run_id(run.id, C2)
    holding = {row.collection_id for row in session.scalars(
        select(StixObject).where(StixObject.stix_id == c2))}
    north = next(t for t in run.teams if t.placeholder == "north")
    assert holding == {north.briefing_collection_id}
    for team in run.teams:
        readable = {c.id for c, g in authz.visible_collections(session, team.team_id)
                    if g.can_read}
        assert (north.briefing_collection_id in readable) == (team.placeholder == "north")
        assert run.collection_id in readable


def test_webhooks_carry_the_exercise_banner(app: Flask, session: Session, world: World,
                                            webhook: str) -> None:
    run = schedule(session, world, webhooks={"north": webhook, "south": "http://127.0.0.1:9/x"})
    inject = next(i for i in run.injects if i.key == "INJ-04")  # channels: inbox, webhook
    control.release_now(session, run, inject)
    session.commit()
    assert _Hook.received == []  # queued with the release, sent by the worker
    maker = database(app).sessionmaker
    assert webhooks.deliver_due(maker, deadline=2.0) == {"delivered": 1, "retrying": 1,
                                                          "failed": 0}
    assert len(_Hook.received) == 1
    payload = _Hook.received[0]
    assert payload["banner"].startswith("EXERCISE — NOT REAL")
    assert payload["team"] == "Baltic CERT" and payload["inject"]["id"] == "INJ-04"
    deliveries = {(d.team_id, d.channel): d for d in session.scalars(
        select(ExerciseDelivery).where(ExerciseDelivery.inject_id == inject.id))}
    north, south = world.teams["Baltic CERT"].id, world.teams["Andes CERT"].id
    assert deliveries[(north, "webhook")].status == "delivered"
    assert deliveries[(south, "webhook")].status == "queued"  # refused: retried later
    assert deliveries[(south, "webhook")].attempts == 1
    assert "error" in deliveries[(south, "webhook")].detail
    assert len([d for d in deliveries if d[1] == "inbox"]) == 3


def test_exercise_data_never_reaches_live_collections(client: FlaskClient, session: Session,
                                                      world: World) -> None:
    live = make_collection(session, world.teams["Lotus CERT"], "Partner indicators")
    make_grant(session, live, world.teams["Baltic CERT"], write=True)
    stixplay.write(session, live.id, world.users["lan"], [stixplay.indicator("192.0.2.10")])
    run = schedule(session, world)
    for inject in run.injects:
        if inject.key in ("INJ-01", "INJ-02"):
            control.release_now(session, run, inject)
    session.commit()
    stixplay.write(session, run.collection_id, world.users["kristjan"],
                   [stixplay.indicator("198.51.100.23", labels=[EXERCISE_LABEL],
                                       object_marking_refs=[EXERCISE_MARKING_ID])])
    exercise_ids = {run_id(run.id, DOMAIN), run_id(run.id, C2), EXERCISE_MARKING_ID}
    for collection in session.scalars(select(Collection)):
        documents = _documents(session, collection.id)
        if collection.kind == CollectionKind.EXERCISE:
            continue
        assert not exercise_ids & {d["id"] for d in documents}, collection.title
        assert separation.exercise_objects(documents) == [], collection.title
    assert len(_documents(session, live.id)) == 1
    with pytest.raises(Conflict, match="holds exercise data"):
        separation.assert_not_exercise_collection(session.get(Collection, run.collection_id))  # type: ignore[arg-type]
    separation.assert_not_exercise_collection(live)
    with pytest.raises(Conflict, match="1 exercise object"):
        separation.assert_no_exercise_objects([d for d in _documents(session, run.collection_id)
                                          if "198.51.100.23" in d.get("pattern", "")])
    separation.assert_no_exercise_objects(_documents(session, live.id))
