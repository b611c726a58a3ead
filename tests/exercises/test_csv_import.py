"""Importing a CSV master scenario events list (MSEL), one inject per row."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask import Flask

from exercises.scenarios import csv_import
from exercises.scenarios.checking import ScenarioInvalid

ROWS = [
    ["Seq No", "Timeline", "Subject", "Content", "To", "Delivery Method", "Move", "Hold",
     "Action_ID", "Expected Action", "Deadline", "Evidence", "Objective", "Score",
     "match_object", "match_pattern_contains", "decision_options"],
    ["1", "PT0M", "Outage reported", "The cable is down.", "all", "inbox", "Outage", "",
     "ack", "Acknowledge", "PT20M", "acknowledge", "Awareness", "1", "", "", ""],
    ["2", "+00:15", "Hijack seen", "A more specific route is announced.", "landing;mail",
     "inbox", "Hijack", "", "share", "Share an indicator", "+00:30", "stix", "Awareness", "2",
     "indicator", "203.0.113.80", ""],
    ["3", "D+0 H+1 M+5", "Who filters?", "Decide who asks operators.", "all", "inbox|webhook",
     "Mitigation", "", "decide", "Decide", "PT20M", "response", "Action", "2", "", "",
     "landing CERT;transit CERT"],
    ["4", "H+1 M+30", "Contingency", "Mail goes offline.", "mail", "inbox", "Mitigation", "yes",
     "", "", "", "", "", "", "", "", ""],
]
MSEL = "\n".join(",".join(row) for row in ROWS) + "\n"


def test_msel_columns_and_offset_forms_are_understood() -> None:
    document = csv_import.convert(MSEL, title="Cable MSEL")
    assert document["title"] == "Cable MSEL"
    assert [t["id"] for t in document["teams"]] == ["landing", "mail"]
    assert [o["id"] for o in document["objectives"]] == ["Awareness", "Action"]
    injects = document["injects"]
    assert [i["offset"] for i in injects] == ["PT0S", "PT15M", "PT1H5M", "PT1H30M"]
    assert injects[0]["audience"] == "all"
    assert injects[1]["audience"] == "all"  # lists every team: the same as all
    assert injects[2]["channels"] == ["inbox", "webhook"]
    assert injects[1]["phase"] == "Hijack"
    assert injects[3]["hold"] is True and injects[3]["expected_actions"] == []
    share = injects[1]["expected_actions"][0]
    assert share == {"id": "share", "teams": "all", "text": "Share an indicator",
                     "deadline": "PT30M", "objective": "Awareness", "weight": 2.0,
                     "evidence": "stix",
                     "match": {"object": "indicator", "pattern_contains": "203.0.113.80"}}
    assert injects[2]["expected_actions"][0]["decision_options"] == ["landing CERT",
                                                                     "transit CERT"]


def test_a_header_document_supplies_title_teams_and_objectives() -> None:
    header = {"title": "Cable Cut (MSEL)", "version": "2",
              "teams": [{"id": "landing", "role": "Landing CERT"},
                        {"id": "mail", "role": "Mail CERT"},
                        {"id": "transit", "role": "Transit CERT"}],
              "objectives": [{"id": "Awareness", "text": "Shared picture"},
                             {"id": "Action", "text": "Coordinated mitigation"}]}
    document = csv_import.convert(MSEL, header)
    assert document["title"] == "Cable Cut (MSEL)" and document["version"] == "2"
    assert len(document["teams"]) == 3


def test_problems_are_reported_by_spreadsheet_row() -> None:
    broken = MSEL.replace("+00:15", "quarter past").replace(",+00:30,", ",soon,")
    broken = broken.replace("landing;mail", "landing;nobody")
    header = {"title": "x", "version": "1", "teams": [{"id": "landing", "role": "L"},
                                                      {"id": "mail", "role": "M"}],
              "objectives": [{"id": "Awareness", "text": "a"}, {"id": "Action", "text": "b"}]}
    with pytest.raises(ScenarioInvalid) as raised:
        csv_import.convert(broken, header)
    found = [str(p) for p in raised.value.problems]
    assert "row 3.offset: not an offset: use an ISO 8601 duration (PT1H15M), +HH:MM, or " \
           "D+n H+n M+n" in found
    assert any(p.startswith("row 3.audience[1]: unknown team placeholder 'nobody'") for p in found)
    assert any(p.startswith("row 3.deadline: not an ISO 8601 duration") for p in found)


def test_missing_and_unknown_columns_are_refused() -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        csv_import.convert("Seq No,Subject,Colour\n1,x,red\n")
    found = [str(p) for p in raised.value.problems]
    assert "row 1: unknown column 'Colour'" in found
    assert "row 1: missing column 'offset'" in found
    with pytest.raises(ScenarioInvalid):
        csv_import.convert("")


def test_cli_imports_a_csv_with_a_header_file(app: Flask, tmp_path: Path) -> None:
    msel = tmp_path / "cable.csv"
    msel.write_text(MSEL)
    header = tmp_path / "header.yaml"
    header.write_text(yaml.safe_dump({
        "title": "Cable MSEL", "version": "3",
        "teams": [{"id": "landing", "role": "L"}, {"id": "mail", "role": "M"}],
        "objectives": [{"id": "Awareness", "text": "a"}, {"id": "Action", "text": "b"}]}))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["exercise", "validate", str(msel), "--header", str(header)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["exercise", "import", str(msel), "--header", str(header),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert '"format": "csv"' in result.output and '"injects": 4' in result.output
    exported = runner.invoke(args=["exercise", "export", "Cable MSEL"])
    assert "offset: PT1H5M" in exported.output and "hold: true" in exported.output
