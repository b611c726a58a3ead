"""Play through the API: answers count for the action they name, decisions, joint sign-offs,
deadlines counted from another team's action, and verdicts refreshed as teams answer."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.models.audit import AuditEvent
from exercises.judging import evaluation
from exercises.models import Exercise, ExpectationResult
from tests.exercises.conftest import World, api
from tests.exercises.playdrill import running


def _verdicts(session: Session, run: Exercise, team: str) -> dict[str, str]:
    session.expire_all()
    return {r.action_key: r.verdict.value for r in evaluation.results(session, run)
            if r.team.name == team}


def test_an_answer_counts_only_for_the_action_it_names(bound_app: Flask, client: FlaskClient,
                                                        session: Session, world: World,
                                                        clock: ManualClock) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    base = f"/{run.id}/injects/A/responses"
    vague = api(client, world, "lan", "POST", base, json={"text": "Call Lan on +84 555"})
    assert vague.status_code == 400
    assert vague.json["message"] == ("action: inject 'A' has 4 expected actions to answer; "
                                     "name one of: poc, press, record, statement")
    clock.advance(minutes=3)
    named = api(client, world, "lan", "POST", base, json={"text": "Call Lan", "action": "poc"})
    assert named.status_code == 201 and named.json["action"] == "poc"
    # Judged at once: the point of contact is met, the incident record is not opened.
    lotus = _verdicts(session, run, "Lotus CERT")
    assert lotus["poc"] == "met" and lotus["record"] == "pending"
    # North's choices are its own actions (it has two more than the others).
    north = api(client, world, "kristjan", "POST", base, json={"text": "Confirmed"})
    assert north.status_code == 400
    assert "name one of: confirm, poc, press, record, statement" in north.json["message"]
    # An action expected of another team is refused by name.
    foreign = api(client, world, "valentina", "POST", base,
                  json={"text": "x", "action": "confirm"})
    assert foreign.status_code == 400
    assert foreign.json["message"] == "action: 'confirm' is not expected of Andes CERT"
    undecided = api(client, world, "valentina", "POST", base,
                    json={"text": "We think", "action": "press"})
    assert undecided.status_code == 400
    assert undecided.json["message"] == ("decision: action 'press' asks for a decision, one of "
                                         "speak now, wait")
    decided = api(client, world, "valentina", "POST", base,
                  json={"decision": "wait", "text": "Too early", "action": "press"})
    assert decided.status_code == 201 and decided.json["kind"] == "decision"
    andes = _verdicts(session, run, "Andes CERT")
    assert andes == {"poc": "pending", "press": "met", "record": "pending"}


def test_single_answerable_action_needs_no_name(bound_app: Flask, client: FlaskClient,
                                                session: Session, world: World) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    # B goes to the lead only once its record is opened; before that, nothing to answer.
    api(client, world, "lan", "POST", f"/{run.id}/injects/A/responses",
        json={"text": "INC-1 opened", "action": "record"})
    session.expire_all()
    inbox = api(client, world, "lan", "GET", f"/{run.id}/inbox").json["injects"]
    a_item = next(i for i in inbox if i["inject"] == "A")
    assert a_item["answerable"] == ["poc", "press", "record", "statement"]
    assert {a["id"]: a["verdict"] for a in a_item["expected_actions"]}["record"] == "met"


def test_joint_decision_needs_every_named_team(bound_app: Flask, client: FlaskClient,
                                               session: Session, world: World,
                                               clock: ManualClock) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    url = f"/{run.id}/injects/A/signoff"
    assert api(client, world, "lan", "POST", url,
               json={"action": "statement", "decision": "joint statement"}).status_code == 201
    assert _verdicts(session, run, "Lotus CERT")["statement"] == "pending"
    clock.advance(minutes=1)
    api(client, world, "kristjan", "POST", url,
        json={"action": "statement", "decision": "national statements"})
    assert _verdicts(session, run, "Baltic CERT")["statement"] == "pending"  # they disagree
    clock.advance(minutes=1)
    agreed = api(client, world, "kristjan", "POST", url,
                 json={"action": "statement", "decision": "joint statement"})
    assert agreed.status_code == 201
    session.expire_all()
    rows = [r for r in evaluation.results(session, run) if r.action_key == "statement"]
    assert {r.team.name: r.verdict.value for r in rows} == {"Lotus CERT": "met",
                                                            "Baltic CERT": "met"}
    assert all(r.evidence_at == rows[0].evidence_at for r in rows)
    assert rows[0].evidence["signed_off_by"] == ["kristjan", "lan"]
    audited = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "exercise.play.signoff").order_by(AuditEvent.occurred_at)).all()
    assert [a.actor_name for a in audited] == ["lan", "kristjan", "kristjan"]
    assert audited[0].details["decision"] == "joint statement"
    # Not a joint action, not an option, not a team of the decision.
    bad = [({"action": "press", "decision": "wait"}, "lan", "not a joint decision"),
           ({"action": "statement", "decision": "panic"}, "lan", "is not one of"),
           ({"action": "statement", "decision": "joint statement"}, "valentina",
            "is not expected of Andes CERT"),
           ({"decision": "joint statement"}, "lan", "action: required")]
    for body, user, reason in bad:
        response = api(client, world, user, "POST", url, json=body)
        assert response.status_code == 400 and reason in response.json["message"], body


def test_deadline_counts_from_another_teams_action(bound_app: Flask, client: FlaskClient,
                                                   session: Session, world: World,
                                                   clock: ManualClock) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    confirm = session.scalar(select(ExpectationResult).where(
        ExpectationResult.action_key == "confirm"))
    assert confirm is not None and confirm.deadline_at == run.end_at  # open until lead acts
    clock.advance(minutes=4)
    api(client, world, "lan", "POST", f"/{run.id}/injects/A/responses",
        json={"text": "Lan", "action": "poc"})
    session.expire_all()
    confirm = session.get(ExpectationResult, confirm.id)
    poc = session.scalar(select(ExpectationResult).where(
        ExpectationResult.action_key == "poc", ExpectationResult.team_id ==
        world.teams["Lotus CERT"].id))
    assert confirm is not None and poc is not None and poc.evidence_at is not None
    assert confirm.deadline_at == poc.evidence_at + timedelta(minutes=5)
    clock.advance(minutes=6)
    evaluation.evaluate(session, run)
    assert confirm.verdict.value == "missed"


def test_play_answers_bad_input(bound_app: Flask, client: FlaskClient, session: Session,
                                world: World) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    base = f"/{run.id}/injects/A/responses"
    cases = [({"text": "x", "action": "nope"}, "no expected action 'nope'"),
             ({"text": "x", "action": 5}, "action: must be a string"),
             ({"decision": 3, "action": "press"}, "decision: must be a string"),
             ({"decision": " ", "action": "press"}, "decision: must not be empty"),
             ({"text": "", "action": "poc"}, "text: a response needs some text")]
    for body, reason in cases:
        response = api(client, world, "lan", "POST", base, json=body)
        assert response.status_code == 400 and reason in response.json["message"], body
