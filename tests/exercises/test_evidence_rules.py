"""Richer evidence rules: any-of / all-of, objects the team creates itself, sightings of its
own indicators, the TLP of the evidence, a required note, and a TAXII read as receipt."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from accord.tlp import Tlp, marking_ref
from exercises.judging import evaluation
from exercises.models import Exercise
from exercises.runs import control, planning
from exercises.runs.marking import run_id, stix_time
from exercises.scenarios import library, scenario_format
from exercises.scenarios.checking import ScenarioInvalid
from tests.exercises import stixplay
from tests.exercises.conftest import PLACEHOLDERS, World
from tests.factories import json_of

PUBLISHED = "indicator--6b7a6d2e-7c1b-4d43-9a59-3f0b8a1f6c11"
OWN = "203.0.113.50"


def _action(ident: str, match: dict[str, Any] | None = None, evidence: str = "stix"
            ) -> dict[str, Any]:
    action: dict[str, Any] = {"id": ident, "text": ident, "deadline": "PT30M",
                              "evidence": evidence}
    if match is not None:
        action["match"] = match
    return action


RULES: dict[str, Any] = {
    "title": "Evidence rules", "version": "1",
    "objectives": [{"id": "O1", "text": "Share"}],
    "teams": [{"id": p, "role": p} for p in PLACEHOLDERS],
    "injects": [{
        "id": "R", "offset": "PT0M", "title": "Scanner at the port",
        "stix": [{"type": "indicator", "id": PUBLISHED, "pattern_type": "stix",
                  "pattern": "[ipv4-addr:value = '198.51.100.7']"}],
        "expected_actions": [
            _action("received", evidence="receipt"),
            _action("own-sighting", {"object": "sighting", "pattern_contains": OWN}),
            _action("triage-note", {"object": "created", "type": "note",
                                    "name_contains": "triage"}),
            _action("either", {"any_of": [
                {"object": "indicator", "pattern_contains": OWN},
                {"object": "sighting", "sighting_of": PUBLISHED}]}),
            _action("both", {"all_of": [
                {"object": "indicator", "pattern_contains": OWN, "tlp": "green"},
                {"object": "sighting", "sighting_of": PUBLISHED}]}),
            _action("noted", {"object": "indicator", "pattern_contains": OWN,
                              "with_note": True}),
            _action("clear-only", {"object": "indicator", "pattern_contains": OWN,
                                   "tlp": "clear"}),
        ]}],
}


def _run(session: Session, world: World) -> Exercise:
    record = library.save(session, scenario_format.parse(yaml.safe_dump(RULES)))
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name="Rules", start=utcnow(), teams=PLACEHOLDERS),
        world.users["coordinator"])
    control.release_now(session, run, run.injects[0], world.users["coordinator"])
    session.commit()
    return run


def _note(about: str, content: str) -> dict[str, Any]:
    now = stix_time(utcnow())
    return {"type": "note", "spec_version": "2.1", "id": f"note--{uuid.uuid4()}",
            "created": now, "modified": now, "content": content, "object_refs": [about]}


def test_each_rule_finds_its_evidence(client: FlaskClient, session: Session, world: World,
                                      clock: ManualClock) -> None:
    run = _run(session, world)
    lan = world.users["lan"]
    times = {}
    clock.advance(minutes=1)
    read = client.get(f"/taxii2/api/collections/{run.collection_id}/objects/",
                      headers={**world.headers("lan"),
                               "Accept": "application/taxii+json;version=2.1"})
    assert read.status_code == 200 and json_of(read)["objects"]
    times["read"] = utcnow()
    clock.advance(minutes=1)
    own = stixplay.indicator(OWN, object_marking_refs=[marking_ref(Tlp.GREEN)])
    stixplay.write(session, run.collection_id, lan, [own])
    clock.advance(minutes=1)
    stixplay.write(session, run.collection_id, lan, [stixplay.sighting(own["id"])])
    clock.advance(minutes=1)
    stixplay.write(session, run.collection_id, lan, [_note(own["id"], "triage: scanner")])
    clock.advance(minutes=1)
    stixplay.write(session, run.collection_id, lan,
                   [stixplay.sighting(run_id(run.id, PUBLISHED))])
    evaluation.evaluate(session, run)
    rows = {r.action_key: r for r in evaluation.results(session, run)
            if r.team.name == "Lotus CERT"}
    verdicts = {key: row.verdict.value for key, row in rows.items()}
    assert verdicts == {"received": "met", "own-sighting": "met", "triage-note": "met",
                        "either": "met", "both": "met", "noted": "met", "clear-only": "pending"}
    start = rows["received"].evidence_at
    assert start is not None and abs((start - times["read"]).total_seconds()) < 5
    released_at = run.injects[0].released_at
    assert released_at is not None
    minutes = {key: round((row.evidence_at - released_at).total_seconds() / 60)
               for key, row in rows.items() if row.evidence_at is not None}
    assert minutes == {"received": 1, "either": 2, "own-sighting": 3, "triage-note": 4,
                       "noted": 4, "both": 5}
    assert rows["both"].evidence["all_of"][0]["tlp"] == "green"
    # Baltic did nothing and read nothing: every action still waits.
    baltic = {r.verdict.value for r in evaluation.results(session, run)
              if r.team.name == "Baltic CERT"}
    assert baltic == {"pending"}


@pytest.mark.parametrize(("match", "problem"), [
    ({"object": "created"}, "match: a created match needs 'type'"),
    ({"object": "created", "type": "Not A Type"}, "match.type: must be a STIX type"),
    ({"object": "indicator", "pattern": "x", "type": "note"},
     "match.type: only a 'created' match takes a type"),
    ({"object": "indicator", "pattern": "x", "tlp": "red"},
     "match.tlp: exercise collections never carry TLP:RED"),
    ({"object": "indicator", "pattern": "x", "tlp": "purple"}, "match.tlp: "),
    ({"object": "indicator", "pattern": "x", "with_note": "yes"},
     "match.with_note: must be true or false"),
    ({"any_of": [{"object": "sighting"}]},
     "match.any_of[0]: a sighting match needs 'sighting_of'"),
    ({"any_of": [], "object": "indicator"}, "match: a match with 'any_of' or 'all_of' takes"),
    ({"all_of": []}, "match.all_of: must not be empty"),
    ({"all_of": [{"all_of": [{"all_of": [{"any_of": [{"object": "x"}]}]}]}]},
     "match.all_of[0].all_of[0].all_of[0].any_of: matches nest at most 3 deep"),
])
def test_bad_rules_are_reported_with_their_path(match: dict[str, Any], problem: str) -> None:
    document = yaml.safe_load(yaml.safe_dump(RULES))
    document["injects"][0]["expected_actions"] = [_action("x", match)]
    with pytest.raises(ScenarioInvalid) as caught:
        scenario_format.parse(yaml.safe_dump(document))
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith("injects[R].expected_actions[x]." + problem) for p in found), found


def test_receipt_needs_published_objects() -> None:
    document = yaml.safe_load(yaml.safe_dump(RULES))
    document["injects"][0].pop("stix")
    document["injects"][0]["expected_actions"] = [_action("received", evidence="receipt")]
    with pytest.raises(ScenarioInvalid) as caught:
        scenario_format.parse(yaml.safe_dump(document))
    assert [str(p) for p in caught.value.problems] == [
        "injects[R].expected_actions[0].evidence: receipt evidence needs an inject with stix "
        "objects (read over TAXII)"]
