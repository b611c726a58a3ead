"""Scenario format: every validation problem is reported with its path; export round-trips."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from exercises.scenarios import export, library, scenario_format
from exercises.scenarios.checking import ScenarioInvalid

IND = "indicator--11111111-1111-4111-8111-111111111111"


def base() -> dict[str, Any]:
    return {
        "title": "Test drill", "version": 1,
        "objectives": [{"id": "O1", "text": "Share fast"}],
        "teams": [{"id": "a", "role": "Lead"}, {"id": "b", "role": "Partner",
                                                 "timezone": "Europe/Tallinn"}],
        "injects": [
            {"id": "i0", "offset": "PT0M", "title": "Start"},
            {"id": "i1", "offset": "PT10M", "title": "Two"},
            {"id": "i2", "offset": "PT20M", "title": "Three", "audience": ["a"],
             "stix": [{"type": "indicator", "id": IND, "pattern_type": "stix",
                       "pattern": "[ipv4-addr:value = '198.51.100.1']"}]},
            {"id": "i3", "offset": "PT30M", "title": "Four", "expected_actions": [
                {"id": "e0", "text": "Ack", "deadline": "PT15M", "evidence": "acknowledge",
                 "objective": "O1"}]},
        ],
    }


def problems_of(data: Any) -> list[str]:
    return [str(problem) for problem in scenario_format.validate(data)[1]]


def action(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["injects"][3]["expected_actions"][0]
    return result


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("missing title", lambda d: d.pop("title"), "title: is required"),
    ("unknown field", lambda d: d.update(colour="red"), "colour: unknown field"),
    ("wrong format", lambda d: d.update(format="other/2"), "format: must be 'accord-exercise/1'"),
    ("red tlp", lambda d: d.update(default_tlp="red"), "default_tlp: exercise collections never"),
    ("unknown tlp", lambda d: d.update(default_tlp="purple"), "default_tlp: unknown TLP level"),
    ("duplicate team", lambda d: d["teams"].append({"id": "a", "role": "x"}),
     "teams[2].id: duplicate team placeholder 'a'"),
    ("bad time zone", lambda d: d["teams"][1].update(timezone="Mars/Base"),
     "teams[1].timezone: unknown time zone 'Mars/Base'"),
    ("team without role", lambda d: d["teams"][0].pop("role"), "teams[0].role: is required"),
    ("duplicate objective", lambda d: d["objectives"].append({"id": "O1", "text": "x"}),
     "objectives[1].id: duplicate objective id"),
    ("no injects", lambda d: d.update(injects=[]), "injects: must not be empty"),
    ("bad offset", lambda d: d["injects"][1].update(offset="10 minutes"),
     "injects[i1].offset: not an ISO 8601 duration"),
    ("months refused", lambda d: d["injects"][1].update(offset="P1M"),
     "injects[i1].offset: years and months are not allowed"),
    ("duplicate inject", lambda d: d["injects"][1].update(id="i0"),
     "injects[1].id: duplicate inject id 'i0'"),
    ("unknown audience", lambda d: d["injects"][1].update(audience=["a", "zz"]),
     "injects[i1].audience[1]: unknown team placeholder 'zz'"),
    ("unknown channel", lambda d: d["injects"][1].update(channels=["inbox", "fax"]),
     "injects[i1].channels[1]: unknown channel 'fax'"),
    ("stix without taxii", lambda d: d["injects"][2].update(channels=["inbox"]),
     "injects[i2].channels: an inject with stix objects needs the 'taxii' channel"),
    ("bad pattern", lambda d: d["injects"][2]["stix"][0].update(pattern="[ipv4-addr:value = "),
     "injects[i2].stix[0]: not a valid STIX 2.1 object"),
    ("id of other type", lambda d: d["injects"][2]["stix"][0].update(id=IND.replace(
        "indicator", "malware")), "injects[i2].stix[0].id: must be a STIX id 'indicator--<uuid>'"),
    ("hold not bool", lambda d: d["injects"][1].update(hold="maybe"),
     "injects[i1].hold: must be true or false"),
    ("deadline", lambda d: action(d).update(deadline="15 minutes"),
     "injects[i3].expected_actions[e0].deadline: not an ISO 8601 duration"),
    ("missing deadline", lambda d: action(d).pop("deadline"),
     "injects[i3].expected_actions[e0].deadline: is required"),
    ("unknown objective", lambda d: action(d).update(objective="O9"),
     "injects[i3].expected_actions[e0].objective: unknown objective 'O9'"),
    ("unknown evidence", lambda d: action(d).update(evidence="telepathy"),
     "injects[i3].expected_actions[e0].evidence: must be one of acknowledge, response, stix"),
    ("stix without match", lambda d: action(d).update(evidence="stix"),
     "injects[i3].expected_actions[e0].match: must be a mapping"),
    ("sighting without target", lambda d: action(d).update(
        evidence="stix", match={"object": "sighting"}),
     "injects[i3].expected_actions[e0].match: a sighting match needs 'sighting_of'"),
    ("unknown match object", lambda d: action(d).update(
        evidence="stix", match={"object": "malware", "pattern": "x"}),
     "injects[i3].expected_actions[e0].match.object: must be one of indicator, sighting"),
    ("negative weight", lambda d: action(d).update(weight=-2),
     "injects[i3].expected_actions[e0].weight: must be a positive number"),
    ("action team outside audience", lambda d: d["injects"][2].update(expected_actions=[
        {"id": "x", "text": "t", "deadline": "PT5M", "evidence": "manual", "teams": ["b"]}]),
     "injects[i2].expected_actions[x].teams[0]: team 'b' is not in the inject's audience"),
    ("options on non-response", lambda d: action(d).update(decision_options=["yes"]),
     "injects[i3].expected_actions[e0].decision_options: only 'response' evidence takes options"),
    ("duplicate action", lambda d: d["injects"][3]["expected_actions"].append(
        {"id": "e0", "text": "t", "deadline": "PT5M", "evidence": "manual"}),
     "injects[i3].expected_actions[1].id: duplicate expected action id 'e0'"),
    ("short duration", lambda d: d.update(duration="PT10M"),
     "duration: is shorter than the offset of the last inject"),
    ("not a mapping", lambda d: d["injects"].append("oops"), "injects[4]: must be a mapping"),
]


def test_base_document_is_valid() -> None:
    document, problems = scenario_format.validate(base())
    assert problems == []
    assert document["version"] == "1"
    assert document["injects"][2]["channels"] == ["inbox", "taxii"]
    assert document["injects"][0]["audience"] == "all"
    assert action(document)["weight"] == 1


@pytest.mark.parametrize(("label", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_reported_with_its_path(label: str, mutate: Callable[[dict[str, Any]],
                                                                             None],
                                                expected: str) -> None:
    data = copy.deepcopy(base())
    mutate(data)
    found = problems_of(data)
    assert any(problem.startswith(expected) for problem in found), found


def test_all_problems_are_reported_at_once() -> None:
    data = copy.deepcopy(base())
    data.pop("title")
    data["injects"][1]["offset"] = "soon"
    action(data)["deadline"] = "tomorrow"
    found = problems_of(data)
    assert len(found) == 3
    with pytest.raises(ScenarioInvalid) as raised:
        scenario_format.parse(yaml.safe_dump(data))
    assert raised.value.status == 422
    assert [e["path"] for e in raised.value.details["errors"]] == [
        "title", "injects[i1].offset", "injects[i3].expected_actions[e0].deadline"]


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        scenario_format.parse("title: x\ninjects: [\n  - a: b\n")
    assert raised.value.problems[0].path.startswith("line ")
    assert "not valid YAML" in raised.value.problems[0].message


def test_json_scenarios_are_accepted() -> None:
    document = scenario_format.parse(json.dumps(base()), "json")
    assert document["title"] == "Test drill"


@pytest.mark.parametrize("name", library.SAMPLES)
def test_samples_are_valid_and_round_trip_through_yaml(name: str) -> None:
    document = scenario_format.parse(library.sample_text(name))
    exported = export.to_yaml(document)
    assert scenario_format.parse(exported) == document
    assert "hold: true" in exported and "|" in exported  # literal Markdown bodies
    assert scenario_format.parse(export.to_json(document), "json") == document


@pytest.mark.parametrize("name", library.SAMPLES)
def test_samples_show_every_feature(name: str) -> None:
    document = scenario_format.parse(library.sample_text(name))
    actions = [a for i in document["injects"] for a in i["expected_actions"]]
    assert {a["evidence"] for a in actions} == {"acknowledge", "response", "stix", "manual"}
    assert {a["match"]["object"] for a in actions if a["evidence"] == "stix"} >= {
        "indicator", "sighting"}
    assert any(a.get("decision_options") for a in actions)
    assert any(i["hold"] for i in document["injects"])
    assert any(i["stix"] and i["audience"] != "all" for i in document["injects"])
    assert {c for i in document["injects"] for c in i["channels"]} == {"inbox", "taxii",
                                                                         "webhook"}
    text = library.sample_text(name)
    assert "203.0.113." in text or "198.51.100." in text or "192.0.2." in text
    objects = [o for i in document["injects"] for o in i["stix"]]
    assert all(".example" in str(o) or "192.0.2." in str(o) or "198.51.100." in str(o)
               or "203.0.113." in str(o) or o["type"] == "note" for o in objects)


def test_cli_validate_lists_every_problem(app: Flask, tmp_path: Path) -> None:
    data = copy.deepcopy(base())
    action(data)["deadline"] = "15 minutes"
    data["teams"][1]["timezone"] = "Nowhere/City"
    path = tmp_path / "drill.yaml"
    path.write_text(yaml.safe_dump(data))
    result = app.test_cli_runner().invoke(args=["exercise", "validate", str(path)])
    assert result.exit_code == 1
    assert "2 problem(s)" in result.output
    assert "injects[i3].expected_actions[e0].deadline: not an ISO 8601 duration" in result.output
    assert "teams[1].timezone: unknown time zone 'Nowhere/City'" in result.output
    good = tmp_path / "good.yaml"
    good.write_text(library.sample_text("cable-cut"))
    result = app.test_cli_runner().invoke(args=["exercise", "validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "valid (Cable Cut at Midnight version 1.0, 5 injects)" in result.output


def test_cli_import_and_export(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "harbour.yaml"
    path.write_text(library.sample_text("harbour-lights"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["exercise", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported Harbour Lights version 1.2 (7 injects)" in result.output
    again = runner.invoke(args=["exercise", "import", str(path)])
    assert again.exit_code == 1 and "already exists" in again.output
    out = tmp_path / "out.yaml"
    result = runner.invoke(args=["exercise", "export", "Harbour Lights@1.2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sample = library.sample_text("harbour-lights")
    assert scenario_format.parse(out.read_text()) == scenario_format.parse(sample)
    listing = runner.invoke(args=["exercise", "scenarios"])
    assert "Harbour Lights" in listing.output and "lead, north, south" in listing.output
