"""The after-action report, checked field by field in JSON, Markdown and HTML."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from exercises.models import Exercise, ExerciseResponse
from exercises.reports import render
from exercises.reports.chart import timing_chart
from tests.exercises import stixplay
from tests.exercises.conftest import World, api
from tests.exercises.test_evaluation import _run


def _play(client: FlaskClient, session: Session, world: World, run: Exercise) -> None:
    base = f"/{run.id}/injects/E1"
    api(client, world, "lan", "POST", f"{base}/acknowledge")
    api(client, world, "lan", "POST", f"{base}/responses",
        json={"text": "Blocking <script>alert(1)</script> | now", "action": "reply"})
    api(client, world, "kristjan", "POST", f"{base}/acknowledge")
    api(client, world, "kristjan", "POST", f"{base}/responses",
        json={"decision": "monitor", "text": "Need more data", "action": "decide"})
    stixplay.write(session, run.collection_id, world.users["lan"],
                   [stixplay.indicator("203.0.113.9")])
    ctl = f"/{run.id}"
    assert api(client, world, "coordinator", "POST", f"{ctl}/pause").status_code == 200
    assert api(client, world, "coordinator", "POST", f"{ctl}/resume").status_code == 200
    exp = f"{ctl}/expectations"
    api(client, world, "evaluator", "POST", f"{exp}/E1/ack/Andes CERT/override",
        json={"verdict": "met", "reason": "Acknowledged by phone"})
    api(client, world, "evaluator", "POST", f"{exp}/E1/judge/Lotus CERT/judge",
        json={"verdict": "met", "note": "Clear briefing"})
    api(client, world, "evaluator", "POST", f"{ctl}/ratings",
        json={"objective": "O1", "team": "Lotus CERT", "rating": "S", "note": "Fast, one gap"})
    api(client, world, "evaluator", "POST", f"{ctl}/notes",
        json={"kind": "observation", "text": "Baltic asked good questions", "team": "Baltic CERT",
              "objective": "O1"})
    api(client, world, "coordinator", "POST", f"{ctl}/notes",
        json={"kind": "lesson", "text": "Agree decision owners before STARTEX"})
    assert api(client, world, "coordinator", "POST", f"{ctl}/complete").status_code == 200
    item = api(client, world, "coordinator", "POST", f"{ctl}/improvements", json={
        "action": "Write a joint press protocol", "owner_team": "Andes CERT",
        "due_date": "2027-03-31", "objective": "O1"})
    assert item.status_code == 201, item.json
    patched = api(client, world, "coordinator", "PATCH", f"{ctl}/improvements/{item.json['id']}",
                  json={"status": "in_progress"})
    assert patched.json["status"] == "in_progress"


def test_report_fields(client: FlaskClient, session: Session, world: World) -> None:
    run = _run(session, world)
    _play(client, session, world, run)
    report = api(client, world, "observer", "GET", f"/{run.id}/report")
    assert report.status_code == 403  # the observer was not assigned to this run
    report = api(client, world, "evaluator", "GET", f"/{run.id}/report").json
    session.expire_all()
    run = session.get(Exercise, run.id)  # type: ignore[assignment]
    assert report["format"] == "accord-aar/1"
    ex = report["exercise"]
    assert ex["name"] == "Evidence" and ex["state"] == "completed"
    assert ex["rehearsal"] is True and ex["speed"] == 600 and ex["owner_team"] == "Lotus CERT"
    assert ex["started_at"] == run.started_at.isoformat()  # type: ignore[union-attr]
    assert ex["ended_at"] == run.ended_at.isoformat()  # type: ignore[union-attr]
    assert ex["paused_seconds"] > 0
    assert report["scenario"] == {"title": "Evidence drill", "version": "1", "description": "",
                                  "language": "en", "default_tlp": "amber"}
    overview = report["overview"]
    assert overview["evaluators"] == ["evaluator"] and overview["observers"] == []
    assert overview["injects"] == {"total": 1, "pending": 0, "released": 1, "skipped": 0,
                                   "cancelled": 0}
    teams = {t["team"]: t for t in overview["teams"]}
    assert teams["Baltic CERT"]["placeholder"] == "north"
    assert teams["Baltic CERT"]["timezone"] == "Europe/Tallinn"
    assert teams["Andes CERT"]["country"] == "CL"
    assert teams["Lotus CERT"]["start_local"].endswith("+07:00")
    # Objectives: Lotus met ack, reply, share (weight 1 each) and the manual one (judged met).
    objective = report["objectives"][0]
    assert objective["id"] == "O1" and objective["text"] == "Everything"
    by_team = {t["team"]: t for t in objective["teams"]}
    assert by_team["Lotus CERT"]["expectations"] == 8
    assert by_team["Lotus CERT"]["verdicts"] == {"met": 4, "missed": 4}
    assert by_team["Lotus CERT"]["score"] == 0.5
    assert by_team["Lotus CERT"]["rating"] == "S"
    assert by_team["Lotus CERT"]["rating_label"] == "Performed with some challenges"
    assert by_team["Lotus CERT"]["rating_note"] == "Fast, one gap"
    assert by_team["Baltic CERT"]["verdicts"] == {"met": 2, "missed": 5, "pending": 1}
    assert by_team["Andes CERT"]["verdicts"] == {"met": 1, "missed": 6, "pending": 1}
    assert by_team["Andes CERT"]["rating"] is None
    # Timeline: the inject, acknowledgements, responses, the STIX write and EXCON's controls.
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[0] == "inject"
    assert kinds.count("acknowledge") == 2 and kinds.count("response") == 1
    assert kinds.count("decision") == 1 and kinds.count("stix") == 1
    assert [e["action"] for e in report["timeline"] if e["kind"] == "control"] == [
        "release_now", "pause", "resume", "complete"]
    inject = report["timeline"][0]
    assert inject["release_mode"] == "manual" and inject["audience"] == "all"
    stix = next(e for e in report["timeline"] if e["kind"] == "stix")
    assert stix["team"] == "Lotus CERT" and stix["stix_type"] == "indicator"
    assert stix["exercise_marked"] is False  # the team forgot the exercise marking
    decision = next(e for e in report["timeline"] if e["kind"] == "decision")
    assert decision["decision"] == "monitor" and decision["author"] == "kristjan"
    assert [e["at"] for e in report["timeline"]] == sorted(e["at"] for e in report["timeline"])
    # Metrics per team.
    metrics = {m["team"]: m for m in report["metrics"]}
    lotus_ack = session.scalar(select(ExerciseResponse).where(
        ExerciseResponse.author == "lan", ExerciseResponse.kind == "acknowledge"))
    released = run.injects[0].released_at
    expected = round((lotus_ack.created_at - released).total_seconds(), 3)  # type: ignore[union-attr,operator]
    assert metrics["Lotus CERT"]["time_to_acknowledge"]["mean_seconds"] == expected
    assert abs(metrics["Lotus CERT"]["time_to_acknowledge"]["mean_scenario_seconds"]
               - expected * 600) < 0.6
    assert metrics["Lotus CERT"]["acknowledged"] == 1 and metrics["Lotus CERT"]["responses"] == 2
    assert metrics["Lotus CERT"]["stix_objects"] == 1
    assert metrics["Lotus CERT"]["unmarked_stix_objects"] == 1
    assert metrics["Lotus CERT"]["first_share_at"] == stix["at"]
    assert metrics["Lotus CERT"]["expectations"]["met"] == 4
    assert metrics["Andes CERT"]["acknowledged"] == 0
    assert metrics["Andes CERT"]["time_to_acknowledge"]["count"] == 0
    assert metrics["Andes CERT"]["time_to_first_share_seconds"] is None
    # Overrides, observations, lessons, improvement plan.
    assert [(o["team"], o["action"], o["auto_verdict"], o["verdict"], o["override_reason"])
            for o in report["overrides"]] == [("Andes CERT", "ack", "missed", "met",
                                               "Acknowledged by phone")]
    assert [(n["kind"], n["team"], n["objective"], n["author"]) for n in report["observations"]
            ] == [("observation", "Baltic CERT", "O1", "evaluator")]
    assert [n["text"] for n in report["lessons"]] == ["Agree decision owners before STARTEX"]
    plan = report["improvement_plan"]
    assert [(p["action"], p["owner_team"], p["due_date"], p["status"]) for p in plan] == [
        ("Write a joint press protocol", "Andes CERT", date(2027, 3, 31).isoformat(),
         "in_progress")]


def test_markdown_and_html_render_every_section_safely(client: FlaskClient, session: Session,
                                                       world: World, app: Flask) -> None:
    run = _run(session, world)
    _play(client, session, world, run)
    markdown = api(client, world, "coordinator", "GET", f"/{run.id}/report?format=markdown")
    assert markdown.content_type.startswith("text/markdown")
    text = markdown.get_data(as_text=True)
    for heading in ("# After-action report: Evidence", "## Overview", "## Objectives",
                    "## Timeline", "## Team metrics", "## Expected actions",
                    "### Overridden automatic verdicts", "## Evaluator observations",
                    "## Lessons learned", "## Improvement plan"):
        assert heading in text, heading
    assert "EXERCISE — NOT REAL" in text and "rehearsal at ×600" in text
    assert "(not marked as exercise data)" in text
    assert ("| — | O1 | — | — | Write a joint press protocol | Andes CERT | — | 2027-03-31 | "
            "in_progress |") in text
    assert "&lt;script&gt;" in text and "<script>" not in text and "\\| now" in text
    assert "| Lotus CERT | 50% | met 4, missed 4 | S (Performed with some challenges) |" in text
    html = api(client, world, "coordinator", "GET", f"/{run.id}/report?format=html")
    page = html.get_data(as_text=True)
    assert html.content_type.startswith("text/html")
    assert page.startswith("<!doctype html>") and "<svg" in page and "<table>" in page
    assert "<script>" not in page
    assert api(client, world, "coordinator", "GET",
               f"/{run.id}/report?format=pdf").status_code == 400
    out = app.test_cli_runner().invoke(args=["exercise", "report", str(run.id), "--format",
                                             "html"])
    assert out.exit_code == 0 and "<svg" in out.output


def test_chart_draws_one_bar_per_team_and_timing() -> None:
    metrics: list[dict[str, Any]] = [
        {"team": "A & B", "time_to_acknowledge": {"mean_scenario_seconds": 600.0},
         "time_to_first_share_scenario_seconds": 1200.0},
        {"team": "C", "time_to_acknowledge": {"mean_scenario_seconds": None},
         "time_to_first_share_scenario_seconds": None},
    ]
    svg = timing_chart(metrics)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2 + 2  # legend swatches + two bars for team A & B
    assert "A &amp; B" in svg and "10.0 min" in svg and "20.0 min" in svg
    assert "time to first share: none" in svg
    assert render({"x": 1}, "json") == '{\n  "x": 1\n}\n'
