"""Per-team inject text, attachments and STIX bundles: each team sees and receives its own."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from exercises.judging import evaluation
from exercises.models import Exercise
from exercises.runs import control, planning
from exercises.runs.marking import run_id
from exercises.scenarios import scenario_format
from exercises.scenarios.checking import ScenarioInvalid
from exercises.scenarios.library import save
from exercises.scenarios.per_team import MAX_ATTACHMENT
from tests.exercises.conftest import PLACEHOLDERS, World, api
from tests.factories import json_of

NORTH_IND = "indicator--0f3b8d4e-3c39-4d8e-a3d8-6b9f1e2c7a10"
PCAP = bytes(range(256)) * 4
SCENARIO: dict[str, Any] = {
    "title": "Per team", "version": "1", "objectives": [{"id": "O1", "text": "x"}],
    "teams": [{"id": p, "role": p} for p in PLACEHOLDERS],
    "injects": [{
        "id": "P", "offset": "PT0M", "title": "Beacon on the network", "body": "Generic text",
        "attachments": [{"name": "advisory.txt", "content": "Patch the VPN now."}],
        "per_team": {
            "north": {"title": "North sees the beacon first", "body": "Your SOC saw it",
                      "attachments": [{"name": "beacon.pcap",
                                       "media_type": "application/vnd.tcpdump.pcap",
                                       "content_base64": base64.b64encode(PCAP).decode()}],
                      "stix": [{"type": "indicator", "id": NORTH_IND, "pattern_type": "stix",
                                "pattern": "[ipv4-addr:value = '192.0.2.77']"}]},
            "lead": {"body": "Coordinate the partners"}},
        "expected_actions": [{"id": "read", "teams": ["north"], "text": "Fetch your bundle",
                              "deadline": "PT30M", "evidence": "receipt"}],
    }],
}


def _run(session: Session, world: World) -> Exercise:
    record = save(session, scenario_format.parse(yaml.safe_dump(SCENARIO)))
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name="Per team", start=utcnow(), teams=PLACEHOLDERS),
        world.users["coordinator"])
    control.release_now(session, run, run.injects[0], world.users["coordinator"])
    session.commit()
    return run


def test_each_team_sees_and_receives_its_own(client: FlaskClient, session: Session,
                                             world: World) -> None:
    run = _run(session, world)
    views = {user: api(client, world, user, "GET", f"/{run.id}/inbox").json["injects"][0]
             for user in ("lan", "kristjan", "valentina")}
    assert {u: (v["title"], v["body"]) for u, v in views.items()} == {
        "lan": ("Beacon on the network", "Coordinate the partners"),
        "kristjan": ("North sees the beacon first", "Your SOC saw it"),
        "valentina": ("Beacon on the network", "Generic text")}
    assert [a["name"] for a in views["kristjan"]["attachments"]] == ["advisory.txt",
                                                                     "beacon.pcap"]
    assert [a["name"] for a in views["valentina"]["attachments"]] == ["advisory.txt"]
    pcap = api(client, world, "kristjan", "GET", f"/{run.id}/injects/P/attachments/1")
    assert pcap.status_code == 200 and pcap.data == PCAP
    assert pcap.mimetype == "application/vnd.tcpdump.pcap"
    assert pcap.headers["Content-Disposition"] == 'attachment; filename="beacon.pcap"'
    assert pcap.headers["X-Content-Type-Options"] == "nosniff"
    text = api(client, world, "valentina", "GET", f"/{run.id}/injects/P/attachments/0")
    assert text.data == b"Patch the VPN now." and text.mimetype == "text/plain"
    assert api(client, world, "valentina", "GET",
               f"/{run.id}/injects/P/attachments/1").status_code == 404
    assert api(client, world, "evaluator", "GET",
               f"/{run.id}/injects/P/attachments/0").status_code == 403
    reads = session.scalars(select(AuditEvent.actor_name).where(
        AuditEvent.action == "exercise.attachment.read")).all()
    assert sorted(str(name) for name in reads) == ["kristjan", "valentina"]
    # North's bundle is in its briefing collection only.
    north = next(t for t in run.teams if t.placeholder == "north")
    holders = session.scalars(select(StixObject.collection_id).where(
        StixObject.stix_id == run_id(run.id, NORTH_IND))).all()
    assert holders == [north.briefing_collection_id]
    # Reading it over TAXII is North's receipt.
    evaluation.evaluate(session, run)
    assert {r.team.name: r.verdict.value for r in evaluation.results(session, run)} == {
        "Baltic CERT": "pending"}
    read = client.get(f"/taxii2/api/collections/{north.briefing_collection_id}/objects/",
                      headers={**world.headers("kristjan"),
                               "Accept": "application/taxii+json;version=2.1"})
    assert read.status_code == 200
    assert run_id(run.id, NORTH_IND) in [o["id"] for o in json_of(read)["objects"]]
    evaluation.evaluate(session, run)
    assert [r.verdict.value for r in evaluation.results(session, run)] == ["met"]


@pytest.mark.parametrize(("change", "problem"), [
    (lambda i: i["per_team"].update(west={"body": "x"}),
     "injects[P].per_team.west: team 'west' is not in the inject's audience"),
    (lambda i: i["attachments"][0].update(content_base64="AAAA"),
     "injects[P].attachments[0]: give exactly one of 'content' (text) or 'content_base64'"),
    (lambda i: i["attachments"].__setitem__(0, {"name": "x.bin", "content_base64": "@@"}),
     "injects[P].attachments[0].content_base64: is not valid base64"),
    (lambda i: i["attachments"][0].update(name="../etc/passwd"),
     "injects[P].attachments[0].name: use letters, digits"),
    (lambda i: i["attachments"][0].update(media_type="not a type"),
     "injects[P].attachments[0].media_type: must be a media type"),
    (lambda i: i["attachments"][0].update(content="x" * (MAX_ATTACHMENT + 1)),
     "injects[P].attachments[0]: is larger than"),
    (lambda i: i["attachments"].append({"name": "advisory.txt", "content": "y"}),
     "injects[P].attachments: duplicate attachment name 'advisory.txt'"),
    (lambda i: i["per_team"]["north"].update(colour="red"),
     "injects[P].per_team.north.colour: unknown field"),
    (lambda i: i["per_team"]["north"]["stix"][0].update(id="indicator--bad"),
     "injects[P].per_team.north.stix[0].id: must be a STIX id"),
    (lambda i: i.update(channels=["inbox"]),
     "injects[P].channels: an inject with stix objects needs the 'taxii' channel"),
])
def test_per_team_content_is_validated(change: Any, problem: str) -> None:
    document = yaml.safe_load(yaml.safe_dump(SCENARIO))
    change(document["injects"][0])
    with pytest.raises(ScenarioInvalid) as caught:
        scenario_format.parse(yaml.safe_dump(document))
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith(problem) for p in found), found
