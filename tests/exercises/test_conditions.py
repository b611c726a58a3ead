"""Conditional injects: released by a met, late or missed action through the scheduler's
jobs, derived from the database (crash-safe); and validation of the new scenario fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import database
from accord.scheduler.jobs import JOBSTORE_TABLE
from exercises.models import Exercise, ExerciseInject, ExpectationResult, InjectState
from exercises.runs import job_functions, job_sync
from exercises.scenarios import scenario_format
from exercises.scenarios.checking import ScenarioInvalid
from tests.exercises.conftest import World, api
from tests.exercises.playdrill import running, scenario


def _inject(session: Session, run: Exercise, key: str) -> ExerciseInject:
    session.expire_all()
    found = session.scalar(select(ExerciseInject).where(
        ExerciseInject.exercise_id == run.id, ExerciseInject.key == key))
    assert found is not None
    return found


def _jobs(app: Flask, run: Exercise) -> dict[str, Any]:
    prefix = job_sync.job_prefix(run.id)
    return {k.removeprefix(prefix): v for k, v in job_sync.scheduled_jobs(app, run.id).items()}


def test_a_met_action_schedules_and_releases_the_conditional_inject(
        bound_app: Flask, client: FlaskClient, session: Session, world: World,
        clock: ManualClock) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    jobs = _jobs(bound_app, run)
    assert "inject:B" not in jobs  # the record is not opened yet: B has no time
    assert "watch" in jobs  # a STIX write could meet it, so the run is re-evaluated
    clock.advance(minutes=1)
    answered = api(client, world, "lan", "POST", f"/{run.id}/injects/A/responses",
                   json={"text": "INC-7 opened", "action": "record"})
    assert answered.status_code == 201
    record = session.scalar(select(ExpectationResult).where(
        ExpectationResult.action_key == "record",
        ExpectationResult.team_id == world.teams["Lotus CERT"].id))
    assert record is not None and record.evidence_at is not None
    due = record.evidence_at + timedelta(minutes=2)
    jobs = _jobs(bound_app, run)
    assert jobs["inject:B"] == due and "watch" not in jobs
    # Crash-safety: the job store is lost; a new leader derives the job from the database.
    with database(bound_app).engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM {JOBSTORE_TABLE}")
    assert _jobs(bound_app, run) == {}
    job_sync.resync_active(bound_app)
    assert _jobs(bound_app, run)["inject:B"] == due
    job_functions.fire_inject(str(run.id), "B")  # too early: nothing happens
    assert _inject(session, run, "B").state == InjectState.PENDING
    clock.advance(minutes=2)
    job_functions.fire_inject(str(run.id), "B")
    released = _inject(session, run, "B")
    assert released.state == InjectState.RELEASED and released.release_mode == "schedule"
    assert released.released_at is not None and released.released_at >= due
    inbox = api(client, world, "lan", "GET", f"/{run.id}/inbox").json["injects"]
    assert [item["inject"] for item in inbox] == ["B", "A"]
    assert "inject:B" not in _jobs(bound_app, run)


def test_a_missed_action_releases_at_its_deadline_and_a_met_one_does_not(
        bound_app: Flask, client: FlaskClient, session: Session, world: World,
        clock: ManualClock) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    deadline = session.scalar(select(ExpectationResult.deadline_at).where(
        ExpectationResult.action_key == "poc",
        ExpectationResult.team_id == world.teams["Andes CERT"].id))
    assert _jobs(bound_app, run)["inject:C"] == deadline  # earlier than its offset (1 h)
    clock.advance(minutes=11)
    job_functions.fire_inject(str(run.id), "C")
    assert _inject(session, run, "C").state == InjectState.RELEASED

    other = running(session, world.users["coordinator"], bound_app, name="Second drill")
    api(client, world, "valentina", "POST", f"/{other.id}/injects/A/responses",
        json={"text": "Valentina", "action": "poc"})
    jobs = _jobs(bound_app, other)
    assert jobs["inject:C"] == _inject(session, other, "C").due_at  # only the offset is left
    clock.advance(minutes=11)
    job_functions.fire_inject(str(other.id), "C")
    assert _inject(session, other, "C").state == InjectState.PENDING


def test_endex_cancels_a_conditional_inject_whose_condition_never_held(
        bound_app: Flask, session: Session, world: World, clock: ManualClock) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    clock.advance(seconds=(run.end_at - run.start_at).total_seconds() + 1)
    job_functions.close_exercise(str(run.id))
    assert _inject(session, run, "B").state == InjectState.CANCELLED
    assert _inject(session, run, "C").state == InjectState.RELEASED  # south missed: due first


def test_a_conditional_inject_is_planned_after_its_trigger(session: Session, world: World
                                                           ) -> None:
    run = running(session, world.users["coordinator"])
    b = _inject(session, run, "B")
    assert b.offset_seconds == 12 * 60  # A at 0 + record deadline 10 min + delay 2 min
    assert [i.key for i in sorted(run.injects, key=lambda i: i.sequence)] == ["A", "B", "C"]


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioInvalid) as caught:
        scenario_format.parse(yaml.safe_dump(document))
    return [str(problem) for problem in caught.value.problems]


def test_validation_of_the_new_fields() -> None:
    assert scenario_format.parse(yaml.safe_dump(scenario()))["injects"][1]["release_on"] == {
        "inject": "A", "action": "record", "outcome": "met", "team": "lead", "delay": "PT2M"}
    document = scenario()
    b, c = document["injects"][1], document["injects"][2]
    b["release_on"] = {"inject": "Z", "action": "record", "outcome": "soon", "delay": "2m",
                       "colour": "red"}
    c["release_on"] = {"inject": "A", "action": "nope", "team": "west"}
    document["injects"][0]["expected_actions"][4]["deadline_from"] = {"inject": "A",
                                                                     "action": "confirm"}
    document["injects"][0]["expected_actions"][3]["teams"] = ["lead"]
    document["injects"][0]["expected_actions"][0]["joint"] = "yes"
    document["injects"][0]["expected_actions"].append(
        {"id": "j2", "text": "x", "deadline": "PT5M", "evidence": "acknowledge", "joint": True})
    assert _problems(document) == [
        "injects[A].expected_actions[poc].joint: must be true or false",
        "injects[A].expected_actions[j2].joint: only 'response' evidence can be a joint decision",
        "injects[B].release_on.colour: unknown field",
        "injects[B].release_on.outcome: must be one of met, late, missed",
        "injects[B].release_on.delay: not an ISO 8601 duration (e.g. PT15M, PT1H30M, P1DT2H)",
        "injects[A].expected_actions[statement].joint: a joint decision needs at least two teams",
        "injects[A].expected_actions[confirm].deadline_from: an action's deadline cannot count "
        "from "
        "itself",
        "injects[B].release_on.inject: unknown inject 'Z'",
        "injects[C].release_on.action: inject 'A' has no expected action 'nope'",
    ]


def test_validation_refuses_cycles_self_references_and_wrong_teams() -> None:
    document = scenario()
    b, c = document["injects"][1], document["injects"][2]
    b["expected_actions"].append({"id": "r", "text": "r", "deadline": "PT5M",
                                  "evidence": "response"})
    b["release_on"] = {"inject": "C", "action": "r2"}
    c["expected_actions"] = [{"id": "r2", "text": "r", "deadline": "PT5M",
                              "evidence": "response"}]
    c["release_on"] = {"inject": "B", "action": "r"}
    del c["offset"]
    document["injects"].append({"id": "D", "title": "self", "release_on": {
        "inject": "D", "action": "x"}})
    document["injects"].append({"id": "E", "title": "no time"})
    document["injects"][0]["expected_actions"][4]["deadline_from"]["team"] = "east"
    assert _problems(document) == [
        "injects[E].offset: is required (an ISO 8601 duration such as PT30M)",
        "injects[A].expected_actions[confirm].deadline_from.team: team 'east' is not expected "
        "to do A/poc",
        "injects[D].release_on.inject: an inject cannot wait on itself",
        "injects[B].release_on: conditional injects wait on each other in a cycle",
        "injects[C].release_on: conditional injects wait on each other in a cycle",
    ]
