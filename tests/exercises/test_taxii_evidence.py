"""STIX evidence written by teams with taxii2-client over real HTTP is judged automatically
(issue 5): on time is met, after the deadline is late, nothing is missed; and the inject's
STIX reaches the audience through TAXII with the exercise marking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection as TaxiiCollection
from taxii2client.v21 import as_pages

from accord.clock import ManualClock
from accord.db import utcnow
from exercises.runs.marking import EXERCISE_MARKING_ID, run_id
from tests.conftest import LiveServer
from tests.exercises import stixplay
from tests.exercises.conftest import World, api
from tests.exercises.test_evaluation import SEEN, _run, assert_met_late_missed
from tests.factories import PASSWORD

STIX_ACTIONS = ("share", "sight", "revise", "revoke")
TAXII_SPEED = 150  # PT30M deadlines last twelve seconds: room for real HTTP round trips


def _collection(live_server: LiveServer, collection_id: object, username: str
                ) -> TaxiiCollection:
    url = f"{live_server.url}/taxii2/api/collections/{collection_id}/"
    return TaxiiCollection(url, user=username, password=PASSWORD)


def _share_over_taxii(collection: TaxiiCollection, run_uuid: Any) -> None:
    """Indicator and sighting, then a new version, then the revocation: three TAXII posts."""
    own = stixplay.indicator("203.0.113.9")
    first = collection.add_objects({"objects": [own, stixplay.sighting(run_id(run_uuid, SEEN))]})
    assert (first.status, first.success_count, first.failure_count) == ("complete", 2, 0)
    newer = stixplay.revised(own, confidence=80)
    assert collection.add_objects({"objects": [newer]}).success_count == 1
    revoked = stixplay.revised(newer, revoked=True)
    assert collection.add_objects({"objects": [revoked]}).success_count == 1


def _move_past_deadlines(client: FlaskClient, world: World, run_uuid: Any,
                         clock: ManualClock) -> None:
    """Move the hub's clock just past every expectation's deadline."""
    views = api(client, world, "evaluator", "GET", f"/{run_uuid}/expectations").json
    last = max(datetime.fromisoformat(v["deadline_at"]) for v in views["expectations"])
    clock.advance(max(timedelta(0), last - utcnow()) + timedelta(seconds=0.2))


def test_stix_evidence_over_taxii_is_met_late_or_missed(
        client: FlaskClient, session: Session, world: World, live_server: LiveServer,
        clock: ManualClock) -> None:
    run = _run(session, world, speed=TAXII_SPEED)
    lotus = _collection(live_server, run.collection_id, "lan")
    published = [obj for page in as_pages(lotus.get_objects, per_request=50)
                 for obj in page.get("objects", [])]
    inject_object = next(obj for obj in published if obj["id"] == run_id(run.id, SEEN))
    assert EXERCISE_MARKING_ID in inject_object["object_marking_refs"]
    assert "exercise" in inject_object["labels"]

    _share_over_taxii(lotus, run.id)
    _move_past_deadlines(client, world, run.id, clock)
    _share_over_taxii(_collection(live_server, run.collection_id, "kristjan"), run.id)

    assert api(client, world, "evaluator", "POST", f"/{run.id}/evaluate").status_code == 200
    views = api(client, world, "evaluator", "GET", f"/{run.id}/expectations").json["expectations"]
    assert_met_late_missed(views, STIX_ACTIONS)


def test_outsider_team_cannot_see_the_exercise_collection(
        session: Session, world: World, live_server: LiveServer) -> None:
    run = _run(session, world)
    outsider = _collection(live_server, run.collection_id, "outsider")
    with pytest.raises(requests.HTTPError, match="404"):
        outsider.refresh()
