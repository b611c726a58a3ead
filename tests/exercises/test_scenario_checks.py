"""Issue 14 scenario checks: id-named paths, distinct duration messages, one error per
duplicate team, zero and over-long deadlines, STIX references (undefined, defined later,
unreachable sightings), an audience of every team as ``all``, duration as the exact end of play,
and MSEL CSV with several actions per inject, a STIX column and options containing commas."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.stix import StixObject
from exercises.runs import control, planning
from exercises.runs.marking import run_id
from exercises.scenarios import csv_import, library, scenario_format
from exercises.scenarios.checking import ScenarioInvalid
from tests.exercises.conftest import PLACEHOLDERS, World

IND = "indicator--11111111-1111-4111-8111-111111111111"
IND2 = "indicator--22222222-2222-4222-8222-222222222222"
URL = "url--33333333-3333-4333-8333-333333333333"


def base() -> dict[str, Any]:
    return {
        "title": "Checks", "version": "1", "duration": "PT2H",
        "objectives": [{"id": "O1", "text": "Share"}],
        "teams": [{"id": "lead", "role": "EXCON"}, {"id": "north", "role": "Partner"},
                  {"id": "south", "role": "Partner"}],
        "injects": [
            {"id": "GR-01", "offset": "PT0M", "title": "Start", "audience": ["north"],
             "stix": [{"type": "indicator", "id": IND, "pattern_type": "stix",
                       "pattern": "[ipv4-addr:value = '198.51.100.1']"}]},
            {"id": "GR-07", "offset": "PT30M", "title": "Sightings", "expected_actions": [
                {"id": "A1", "text": "Ack", "deadline": "PT15M", "evidence": "acknowledge"},
                {"id": "A2", "text": "Sight it", "deadline": "PT30M", "evidence": "stix",
                 "teams": ["north"], "match": {"object": "sighting", "sighting_of": IND}}]},
        ],
    }


def problems(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in scenario_format.validate(data)[1]]


def test_the_base_is_valid() -> None:
    assert problems(base()) == []


def test_paths_name_the_inject_and_the_action_by_id() -> None:
    data = base()
    data["injects"][1]["expected_actions"][1]["deadline"] = "soon"
    assert problems(data) == ["injects[GR-07].expected_actions[A2].deadline: not an ISO 8601 "
                              "duration (e.g. PT15M, PT1H30M, P1DT2H)"]


def test_months_and_negative_durations_get_different_messages() -> None:
    months, negative = base(), base()
    months["injects"][1]["offset"] = "P1M"
    negative["injects"][1]["offset"] = "-PT15M"
    [month_problem] = problems(months)
    [negative_problem] = problems(negative)
    assert month_problem.startswith("injects[GR-07].offset: years and months are not allowed")
    assert "P1M is a month" in month_problem
    assert negative_problem.startswith("injects[GR-07].offset: must not be negative")


def test_one_duplicate_team_id_is_one_error() -> None:
    data = base()
    data["teams"].append({"id": "north", "role": "Again"})
    for number in range(20):
        data["injects"].append({"id": f"X{number}", "offset": "PT1H", "title": "t",
                                "audience": ["north", "lead"], "expected_actions": [
                                    {"id": "a", "text": "t", "deadline": "PT5M",
                                     "evidence": "acknowledge", "teams": ["north"]}]})
    assert problems(data) == ["teams[3].id: duplicate team placeholder 'north'"]


def test_a_zero_deadline_is_refused() -> None:
    data = base()
    data["injects"][1]["expected_actions"][0]["deadline"] = "PT0M"
    assert problems(data) == ["injects[GR-07].expected_actions[A1].deadline: must be longer "
                              "than zero (the team needs some time)"]


def test_a_deadline_past_the_end_of_play_is_refused() -> None:
    data = base()
    data["injects"][1]["expected_actions"][1]["deadline"] = "PT1H31M"
    assert problems(data) == [
        "injects[GR-07].expected_actions[A2].deadline: ends at PT2H1M, after the end of play "
        "(duration PT2H): shorten it or lengthen the duration"]


def test_duration_is_exactly_the_end_of_play() -> None:
    document = scenario_format.validate(base())[0]
    assert planning.scenario_end_offset(document) == timedelta(hours=2)
    document["duration"] = None
    assert planning.scenario_end_offset(document) == timedelta(minutes=60)  # PT30M + PT30M


def test_a_reference_to_an_undefined_stix_id_is_refused() -> None:
    data = base()
    data["injects"][1]["expected_actions"][1]["match"]["sighting_of"] = IND2
    assert problems(data) == [f"injects[GR-07].expected_actions[A2].match.sighting_of: '{IND2}' "
                              "is not defined by any inject's stix objects"]


def test_a_reference_to_an_id_defined_only_later_is_refused() -> None:
    data = base()
    first, second = data["injects"]
    first["offset"], second["offset"] = "PT40M", "PT10M"  # the sighting now comes first
    assert problems(data) == [f"injects[GR-07].expected_actions[A2].match.sighting_of: '{IND}' "
                              "is only defined later, by inject 'GR-01'"]
    revoke = copy.deepcopy(base())
    revoke["injects"][1]["expected_actions"][1].update(
        match={"object": "revocation", "of": IND2})
    assert problems(revoke) == [f"injects[GR-07].expected_actions[A2].match.of: '{IND2}' is "
                                "not defined by any inject's stix objects"]


def test_references_inside_stix_objects_must_resolve() -> None:
    data = base()
    data["injects"][1]["stix"] = [{
        "type": "relationship", "id": "relationship--44444444-4444-4444-8444-444444444444",
        "relationship_type": "indicates", "source_ref": IND,
        "target_ref": "malware--55555555-5555-4555-8555-555555555555"}]
    data["injects"][1]["channels"] = ["inbox", "taxii"]
    assert problems(data) == ["injects[GR-07].stix[0].target_ref: "
                              "'malware--55555555-5555-4555-8555-555555555555' is not defined "
                              "by any inject's stix objects"]


def test_a_sighting_a_team_can_never_make_is_refused() -> None:
    data = base()
    data["injects"][1]["expected_actions"][1]["teams"] = "all"  # south never gets IND
    assert problems(data) == [
        f"injects[GR-07].expected_actions[A2].match.sighting_of: team(s) lead, south never "
        f"receive '{IND}' (inject 'GR-01' goes to north only)"]
    observable = base()
    observable["injects"][0]["stix"].append({"type": "url", "id": URL,
                                             "value": "http://bad.example/"})
    observable["injects"][1]["expected_actions"][1]["match"]["sighting_of"] = URL
    assert problems(observable) == [
        "injects[GR-07].expected_actions[A2].match.sighting_of: a sighting can never point at "
        "a url (sighting_of_ref must be an SDO such as an indicator)"]


def test_an_audience_of_every_team_is_all_and_shares_one_collection(
        session: Session, world: World) -> None:
    data = base()
    data["injects"][0]["audience"] = ["south", "lead", "north"]
    document = scenario_format.validate(data)[0]
    assert document["injects"][0]["audience"] == "all"
    record = library.save(session, document)
    session.commit()
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name="Everyone", start=utcnow() + timedelta(hours=1),
        teams=PLACEHOLDERS), world.users["coordinator"])
    session.commit()
    control.release_now(session, run, run.injects[0])
    session.commit()
    holding = {row.collection_id for row in session.scalars(
        select(StixObject).where(StixObject.stix_id == run_id(run.id, IND)))}
    assert holding == {run.collection_id}  # the shared play collection, not three briefings


MSEL_ROWS = [
    ["id", "offset", "title", "audience", "action_id", "action", "evidence", "deadline",
     "objective", "decision_options", "stix", "match_object", "match_sighting_of"],
    ["INJ-1", "+00:00", "Phishing wave", "all", "ack", "Acknowledge", "acknowledge", "PT15M",
     "OBJ", "", json.dumps({"type": "indicator", "id": IND, "pattern_type": "stix",
                            "pattern": "[domain-name:value = 'x.example']"}), "", ""],
    ["INJ-1", "", "", "", "sight", "Sight it", "stix", "PT30M", "OBJ", "", "", "sighting", IND],
    ["INJ-1", "", "", "", "decide", "Decide", "response", "PT30M", "OBJ",
     '"joint statement, with partners", national statements', "", "", ""],
    ["INJ-2", "+00:45", "Press asks", "lead", "say", "Say", "response", "PT20M", "OBJ",
     '["yes, now", "later"]', "", "", ""],
]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def test_msel_rows_add_actions_stix_and_quoted_options() -> None:
    document = csv_import.convert(_csv(MSEL_ROWS), title="MSEL")
    first, second = document["injects"]
    assert [a["id"] for a in first["expected_actions"]] == ["ack", "sight", "decide"]
    assert [o["id"] for o in first["stix"]] == [IND]
    assert first["channels"] == ["inbox", "taxii"]
    assert first["expected_actions"][2]["decision_options"] == [
        "joint statement, with partners", "national statements"]
    assert second["expected_actions"][0]["decision_options"] == ["yes, now", "later"]


def test_msel_problems_point_at_the_row_of_the_action_or_cell() -> None:
    rows = copy.deepcopy(MSEL_ROWS)
    rows[2][7] = "PT0M"  # the sighting's deadline (row 3)
    rows[3][2] = "Another title"  # a further row may not change the inject (row 4)
    rows[4][10] = "{not json"  # row 5
    with pytest.raises(ScenarioInvalid) as raised:
        csv_import.convert(_csv(rows), title="MSEL")
    found = [str(p) for p in raised.value.problems]
    assert "row 3.deadline: must be longer than zero (the team needs some time)" in found
    assert any(p.startswith("row 4.title: inject 'INJ-1' is defined in row 2") for p in found)
    assert any(p.startswith("row 5.stix: not valid JSON") for p in found)
