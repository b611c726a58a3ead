"""Automatic evaluation of every evidence kind (met, late, missed), manual judging, overrides."""

from __future__ import annotations

from typing import Any

import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from exercises.judging import evaluation
from exercises.models import Exercise
from exercises.runs import control, planning
from exercises.runs.marking import run_id
from exercises.scenarios import library, scenario_format
from tests.exercises import stixplay
from tests.exercises.conftest import PLACEHOLDERS, World, api

SEEN = "indicator--03109358-b067-4798-9ae2-3e29d59fe736"
SPEED = 600  # PT30M deadlines last three seconds
EVIDENCE_SCENARIO: dict[str, Any] = {
    "title": "Evidence drill", "version": "1",
    "objectives": [{"id": "O1", "text": "Everything"}],
    "teams": [{"id": p, "role": p} for p in PLACEHOLDERS],
    "injects": [{
        "id": "E1", "offset": "PT0M", "title": "Everything at once",
        "stix": [{"type": "indicator", "id": SEEN, "pattern_type": "stix",
                  "pattern": "[ipv4-addr:value = '203.0.113.66']"}],
        "expected_actions": [
            {"id": "ack", "text": "Acknowledge", "deadline": "PT30M", "evidence": "acknowledge",
             "objective": "O1"},
            {"id": "reply", "text": "Reply", "deadline": "PT30M", "evidence": "response",
             "objective": "O1"},
            {"id": "decide", "text": "Decide", "deadline": "PT30M", "evidence": "response",
             "decision_options": ["block", "monitor"], "objective": "O1"},
            {"id": "share", "text": "Share", "deadline": "PT30M", "evidence": "stix",
             "match": {"object": "indicator", "pattern": "[ipv4-addr:value='203.0.113.9']"},
             "objective": "O1"},
            {"id": "sight", "text": "Sight", "deadline": "PT30M", "evidence": "stix",
             "match": {"object": "sighting", "sighting_of": SEEN}, "objective": "O1"},
            {"id": "revise", "text": "Revise", "deadline": "PT30M", "evidence": "stix",
             "match": {"object": "new_version", "pattern_contains": "203.0.113.9"},
             "objective": "O1"},
            {"id": "revoke", "text": "Revoke", "deadline": "PT30M", "evidence": "stix",
             "match": {"object": "revocation", "pattern_contains": "203.0.113.9"},
             "objective": "O1"},
            {"id": "judge", "text": "Brief the minister", "deadline": "PT30M",
             "evidence": "manual", "objective": "O1"},
        ]}],
}
AUTO = ("ack", "reply", "decide", "share", "sight", "revise", "revoke")


def _run(session: Session, world: World, speed: float = SPEED) -> Exercise:
    record = library.save(session, scenario_format.parse(yaml.safe_dump(EVIDENCE_SCENARIO)))
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name="Evidence", start=utcnow(), teams=PLACEHOLDERS,
        speed=speed, rehearsal=True, evaluators=["evaluator"]), world.users["coordinator"])
    control.release_now(session, run, run.injects[0], world.users["coordinator"])
    session.commit()
    return run


def _act(client: FlaskClient, session: Session, world: World, run: Exercise, user: str) -> None:
    """Everything a diligent team does: ack, reply, decide, share, sight, revise, revoke."""
    base = f"/{run.id}/injects/E1"
    assert api(client, world, user, "POST", f"{base}/acknowledge").status_code == 201
    assert api(client, world, user, "POST", f"{base}/responses",
               json={"text": "We are on it", "action": "reply"}).status_code == 201
    assert api(client, world, user, "POST", f"{base}/responses",
               json={"decision": "block", "text": "Low collateral", "action": "decide"}
               ).status_code == 201
    own = stixplay.indicator("203.0.113.9")
    stixplay.write(session, run.collection_id, world.users[user], [
        own, stixplay.sighting(run_id(run.id, SEEN))])
    newer = stixplay.revised(own, confidence=80)
    stixplay.write(session, run.collection_id, world.users[user], [newer])
    stixplay.write(session, run.collection_id, world.users[user],
                   [stixplay.revised(newer, revoked=True)])


def assert_met_late_missed(views: list[dict[str, Any]], actions: tuple[str, ...]) -> None:
    """Lotus acted on time, Baltic late and Andes not at all, for each of ``actions``."""
    verdicts = {(v["action"], v["team"]): v["verdict"] for v in views}
    for action in actions:
        assert verdicts[(action, "Lotus CERT")] == "met", action
        assert verdicts[(action, "Baltic CERT")] == "late", action
        assert verdicts[(action, "Andes CERT")] == "missed", action


def test_every_evidence_kind_is_judged_met_late_or_missed(
        client: FlaskClient, session: Session, world: World, clock: ManualClock) -> None:
    run = _run(session, world)
    _act(client, session, world, run, "lan")  # Lotus: on time
    clock.advance(seconds=3.2)  # past every deadline
    _act(client, session, world, run, "kristjan")  # Baltic: late; Andes does nothing
    assert api(client, world, "evaluator", "POST", f"/{run.id}/evaluate").status_code == 200
    views = api(client, world, "evaluator", "GET", f"/{run.id}/expectations").json["expectations"]
    assert_met_late_missed(views, AUTO)
    verdicts = {(v["action"], v["team"]): v["verdict"] for v in views}
    assert verdicts[("judge", "Lotus CERT")] == "pending"
    share = next(v for v in views if v["action"] == "share" and v["team"] == "Lotus CERT")
    assert share["evidence"]["type"] == "indicator" and share["evidence_at"] <= share[
        "deadline_at"]
    revoke = next(v for v in views if v["action"] == "revoke" and v["team"] == "Baltic CERT")
    assert revoke["evidence"]["revoked"] is True and revoke["evidence_at"] > revoke["deadline_at"]
    decide = next(v for v in views if v["action"] == "decide" and v["team"] == "Lotus CERT")
    assert decide["evidence"]["decision"] == "block" and decide["evidence"]["author"] == "lan"


def test_pending_until_the_deadline_then_missed(client: FlaskClient, session: Session,
                                                world: World) -> None:
    run = _run(session, world)
    counts = evaluation.evaluate(session, run)
    assert counts == {"pending": 24}  # 8 actions x 3 teams, none judged yet
    later = evaluation.evaluate(session, run, now=utcnow().replace(year=utcnow().year + 1))
    assert later == {"missed": 21, "pending": 3}  # manual ones wait for an evaluator


def test_decisions_must_use_the_listed_options(client: FlaskClient, session: Session,
                                               world: World) -> None:
    run = _run(session, world)
    base = f"/{run.id}/injects/E1/responses"
    wrong = api(client, world, "lan", "POST", base, json={"decision": "panic", "action": "decide"})
    assert wrong.status_code == 400 and "not one of block, monitor" in wrong.json["message"]
    assert api(client, world, "lan", "POST", base, json={"text": ""}).status_code == 400
    assert api(client, world, "lan", "POST", base,
               json={"text": "x", "action": "nope"}).status_code == 400
    assert api(client, world, "observer", "POST", base, json={"text": "x"}).status_code in (403,
                                                                                          404)
    assert api(client, world, "outsider", "POST", base, json={"text": "x"}).status_code == 404


def test_manual_judging_and_overrides(bound_app: Flask, client: FlaskClient, session: Session,
                                      world: World) -> None:
    run = _run(session, world)
    evaluation.evaluate(session, run, final=True)
    session.commit()
    base = f"/{run.id}/expectations"
    judged = api(client, world, "evaluator", "POST", f"{base}/E1/judge/Andes CERT/judge",
                 json={"verdict": "partially_met", "note": "Briefed late but complete"})
    assert judged.status_code == 200, judged.json
    assert judged.json["verdict"] == "partially_met" and judged.json["judged_by"] == "evaluator"
    wrong_kind = api(client, world, "evaluator", "POST", f"{base}/E1/ack/Andes CERT/judge",
                     json={"verdict": "met"})
    assert wrong_kind.status_code == 409 and "override it with a reason" in wrong_kind.json[
        "message"]
    no_reason = api(client, world, "evaluator", "POST", f"{base}/E1/ack/Andes CERT/override",
                    json={"verdict": "met", "reason": " "})
    assert no_reason.status_code == 400
    overridden = api(client, world, "evaluator", "POST", f"{base}/E1/ack/Andes CERT/override",
                     json={"verdict": "met", "reason": "Acknowledged by phone to EXCON"})
    assert overridden.status_code == 200
    assert overridden.json["verdict"] == "met" and overridden.json["auto_verdict"] == "missed"
    assert overridden.json["override_reason"] == "Acknowledged by phone to EXCON"
    # Re-evaluation keeps the evaluator's word.
    evaluation.evaluate(session, run, final=True)
    session.commit()
    # The observer was not assigned to this run; her team plays, so she is only a player.
    assert api(client, world, "observer", "GET", base).status_code == 403
    again = api(client, world, "evaluator", "GET", base).json["expectations"]
    ack = next(e for e in again if e["action"] == "ack" and e["team"] == "Andes CERT")
    assert ack["verdict"] == "met" and ack["auto_verdict"] == "missed"
    assert api(client, world, "kristjan", "POST", f"{base}/E1/judge/Andes CERT/judge",
               json={"verdict": "met"}).status_code == 403
    assert api(client, world, "evaluator", "POST", f"{base}/E1/judge/Andes CERT/judge",
               json={"verdict": "superb"}).status_code == 400
    result = bound_app.test_cli_runner().invoke(args=[
        "exercise", "override", str(run.id), "E1/reply/Baltic CERT", "met", "--reason",
        "Answered on the bridge call", "--as", "evaluator"])
    assert result.exit_code == 0, result.output
    assert "missed -> met" in result.output
