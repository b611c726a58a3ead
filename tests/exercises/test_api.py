"""The exercises JSON API: scenario upload and validation, play, and bad input (never a 500)."""

from __future__ import annotations

from typing import Any

import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from exercises.runs import control
from exercises.scenarios import library, scenario_format
from tests.exercises.conftest import World, api, schedule
from tests.exercises.test_csv_import import MSEL
from tests.factories import make_token


def test_validate_and_import_scenarios(client: FlaskClient, world: World) -> None:
    text = library.sample_text("cable-cut")
    ok = api(client, world, "coordinator", "POST", "/scenarios/validate", data=text,
             content_type="application/yaml")
    assert ok.status_code == 200 and ok.json["valid"] is True and ok.json["injects"] == 5
    broken = text.replace("deadline: PT20M", "deadline: 20 minutes", 1)
    bad = api(client, world, "coordinator", "POST", "/scenarios/validate", data=broken,
              content_type="application/yaml")
    assert bad.json == {"valid": False, "errors": [
        {"path": "injects[C-01].expected_actions[ack].deadline",
         "message": "not an ISO 8601 duration (e.g. PT15M, PT1H30M, P1DT2H)"}]}
    refused = api(client, world, "coordinator", "POST", "/scenarios", data=broken,
                  content_type="application/yaml")
    assert refused.status_code == 422
    assert refused.json["errors"][0]["path"] == "injects[C-01].expected_actions[ack].deadline"
    created = api(client, world, "coordinator", "POST", "/scenarios", data=text,
                  content_type="application/yaml")
    assert created.status_code == 201 and created.json["teams"] == ["landing", "transit", "mail"]
    duplicate = api(client, world, "coordinator", "POST", "/scenarios", data=text,
                    content_type="application/yaml")
    assert duplicate.status_code == 409
    replaced = api(client, world, "coordinator", "POST", "/scenarios?replace=true", data=text,
                   content_type="application/yaml")
    assert replaced.status_code == 201 and replaced.json["id"] == created.json["id"]
    csv = api(client, world, "coordinator", "POST", "/scenarios?format=csv&title=Cable+MSEL",
              data=MSEL, content_type="text/csv")
    assert csv.status_code == 201 and csv.json["title"] == "Cable MSEL"
    exported = api(client, world, "observer", "GET", f"/scenarios/{created.json['id']}/export")
    assert exported.mimetype == "application/yaml"
    assert scenario_format.parse(exported.get_data(as_text=True)) == scenario_format.parse(text)
    as_json = api(client, world, "evaluator", "GET", "/scenarios/Cable Cut at Midnight@1.0")
    assert as_json.json["document"]["injects"][1]["stix"][1]["type"] == "note"
    listing = api(client, world, "observer", "GET", "/scenarios").json["scenarios"]
    assert {s["title"] for s in listing} == {"Cable Cut at Midnight", "Cable MSEL"}
    assert api(client, world, "lan", "POST", "/scenarios", data=text).status_code == 403
    assert api(client, world, "lan", "GET", "/scenarios").status_code == 403


def test_bad_input_gets_clear_errors(client: FlaskClient, session: Session,
                                     world: World) -> None:
    run = schedule(session, world)
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", "/scenarios/validate", {"data": b"\xff\xfe", "content_type": "text/yaml"}, 400),
        ("POST", "/scenarios", {"data": "", "content_type": "text/yaml"}, 400),
        ("POST", "/scenarios?format=xml", {"data": "x"}, 400),
        ("POST", "/scenarios", {"data": "title: [", "content_type": "text/yaml"}, 422),
        ("POST", "/scenarios", {"data": "{", "content_type": "application/json"}, 422),
        ("GET", "/scenarios/not-a-scenario", {}, 404),
        ("GET", "/scenarios/x/export?format=docx", {}, 404),
        ("POST", "", {"data": "[1, 2]", "content_type": "application/json"}, 400),
        ("POST", "", {"json": {"scenario": "x", "name": "y", "start": "soon"}}, 400),
        ("POST", "", {"json": {"scenario": 5, "name": "y", "start": "2099-01-01T00:00Z"}}, 400),
        ("POST", "", {"json": {"scenario": "Harbour Lights", "name": "y",
                               "start": "2099-01-01T00:00Z", "speed": "fast"}}, 400),
        ("POST", "", {"json": {"scenario": "Harbour Lights", "name": "y",
                               "start": "2099-01-01T00:00Z", "teams": ["lead"]}}, 400),
        ("GET", "/not-a-uuid", {}, 404),
        ("GET", "/00000000-0000-0000-0000-000000000000", {}, 404),
        ("GET", f"/{run.id}/report?format=docx", {}, 400),
        ("POST", f"/{run.id}/ratings", {"json": {"objective": "OBJ-SHARE", "team": "Lotus CERT",
                                                 "rating": "A+"}}, 400),
        ("POST", f"/{run.id}/ratings", {"json": {"objective": "OBJ-9", "team": "Lotus CERT",
                                                 "rating": "P"}}, 400),
        ("POST", f"/{run.id}/ratings", {"json": {"objective": "OBJ-SHARE",
                                                 "team": "Outsider CERT", "rating": "P"}}, 400),
        ("POST", f"/{run.id}/notes", {"json": {"kind": "gossip", "text": "x"}}, 400),
        ("POST", f"/{run.id}/improvements", {"json": {"action": "x", "owner_team": "Lotus CERT",
                                                      "due_date": "next spring"}}, 400),
        ("PATCH", f"/{run.id}/improvements/nope", {"json": {"status": "done"}}, 404),
        ("POST", f"/{run.id}/expectations/INJ-01/ack/Lotus CERT/judge",
         {"json": {"verdict": "met"}}, 404),
        ("POST", f"/{run.id}/injects/INJ-01/acknowledge", {}, 404),  # not released yet
    ]
    for method, path, kwargs, status in cases:
        response = api(client, world, "coordinator" if "acknowledge" not in path else "lan",
                       method, path, **kwargs)
        assert response.status_code == status, (method, path, response.status_code,
                                                response.get_data(as_text=True))
        assert response.is_json and response.json.get("message"), path


def test_read_only_tokens_cannot_act(client: FlaskClient, session: Session,
                                     world: World) -> None:
    run = schedule(session, world)
    _, read_only = make_token(session, world.users["coordinator"], ("read",))
    headers = {"Authorization": f"Bearer {read_only}"}
    assert client.get(f"/api/v1/exercises/{run.id}", headers=headers).status_code == 200
    assert client.post(f"/api/v1/exercises/{run.id}/pause",
                       headers=headers).status_code == 403
    assert client.get("/api/v1/exercises").status_code == 401


def test_players_acknowledge_once_and_see_their_time_zone(
        client: FlaskClient, session: Session, world: World, bound_app: Flask) -> None:
    run = schedule(session, world)
    control.release_now(session, run, run.injects[0], world.users["coordinator"])
    session.commit()
    first = api(client, world, "valentina", "POST", f"/{run.id}/injects/INJ-01/acknowledge")
    second = api(client, world, "valentina", "POST", f"/{run.id}/injects/INJ-01/acknowledge")
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert first.json["created_at_local"][-6:] in ("-03:00", "-04:00")
    inbox = api(client, world, "valentina", "GET", f"/{run.id}/inbox").json
    assert inbox["team"] == "Andes CERT" and inbox["timezone"] == "America/Santiago"
    item = inbox["injects"][0]
    assert item["title"] == "Fake customs invoices reach freight forwarders"
    assert item["stix_objects"] == 1 and item["responses"][0]["kind"] == "acknowledge"
    assert [a["id"] for a in item["expected_actions"]] == ["ack"]  # share-domain is lead's
    assert api(client, world, "evaluator", "GET", f"/{run.id}/inbox").status_code == 403
    lead = api(client, world, "lan", "GET", f"/{run.id}/inbox").json["injects"][0]
    assert {a["id"] for a in lead["expected_actions"]} == {"ack", "share-domain"}
    control.cancel(session, run)
    session.commit()
    late = api(client, world, "lan", "POST", f"/{run.id}/injects/INJ-01/acknowledge")
    assert late.status_code == 409 and "play is over" in late.json["message"]


def test_cli_schedule_and_list(app: Flask, session: Session, world: World) -> None:
    library.save(session, scenario_format.parse(library.sample_text("cable-cut")))
    session.commit()
    runner = app.test_cli_runner()
    args = ["exercise", "schedule", "Cable Cut at Midnight", "--name", "Night drill",
            "--start", "2099-06-01T23:00", "--timezone", "Europe/Tallinn",
            "--team", "landing=Baltic CERT", "--team", "transit=Lotus CERT",
            "--team", "mail=Andes CERT", "--owner-team", "Lotus CERT",
            "--evaluator", "evaluator", "--webhook", "mail=https://hooks.example/accord"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "at 2099-06-01T20:00:00+00:00 UTC" in result.output
    assert "Lotus CERT plays transit: starts 2099-06-02T03:00:00+07:00" in result.output
    bad = runner.invoke(args=[*args[:-2], "--team", "oops"])
    assert bad.exit_code == 1 and "--team: write PLACEHOLDER=VALUE" in bad.output
    listing = runner.invoke(args=["exercise", "list"])
    assert "Night drill" in listing.output and "scheduled" in listing.output
    data = yaml.safe_load(runner.invoke(args=["exercise", "list", "--json"]).output)
    assert data[0]["teams"][0]["placeholder"] == "landing"
