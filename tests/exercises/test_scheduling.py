"""Scheduling runs: UTC storage, each team's local time, collections, grants and jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord import authz
from accord.db import utcnow
from accord.errors import BadRequest
from accord.models.collections import Collection, CollectionKind
from exercises.models import ExerciseState
from exercises.runs import job_sync, planning
from tests.exercises.conftest import World, api, import_sample, schedule


def test_start_is_stored_in_utc_and_shown_in_each_team_time_zone(
        client: FlaskClient, session: Session, world: World) -> None:
    scenario_id = import_sample(session)
    year = utcnow().year + 1
    response = api(client, world, "coordinator", "POST", "", json={
        "scenario": scenario_id, "name": "Harbour Lights", "start": f"{year}-01-15T09:00:00",
        "timezone": "Asia/Ho_Chi_Minh", "teams": {"lead": "Lotus CERT", "north": "Baltic CERT",
                                                  "south": "Andes CERT"},
        "evaluators": ["evaluator"], "observers": ["observer"]})
    assert response.status_code == 201, response.json
    data = response.json
    assert data["start_at"] == f"{year}-01-15T02:00:00+00:00"
    local = {t["team"]: t["start_local"] for t in data["teams"]}
    assert local == {"Lotus CERT": f"{year}-01-15T09:00:00+07:00",
                     "Baltic CERT": f"{year}-01-15T04:00:00+02:00",
                     "Andes CERT": f"{year}-01-14T23:00:00-03:00"}  # summer time in Chile
    status = api(client, world, "coordinator", "GET", f"/{data['id']}").json
    assert status["state"] == "scheduled"
    assert [i["due_at"] for i in status["injects"][:3]] == [
        f"{year}-01-15T02:00:00+00:00", f"{year}-01-15T02:20:00+00:00",
        f"{year}-01-15T02:45:00+00:00"]
    assert status["end_at"] == f"{year}-01-15T05:00:00+00:00"  # duration PT3H


def test_rehearsal_speed_compresses_the_timeline(session: Session, world: World) -> None:
    start = utcnow() + timedelta(minutes=5)
    run = schedule(session, world, speed=60, start=start)
    assert run.rehearsal is True
    due = {i.key: i.planned_at - start for i in run.injects}
    assert due["INJ-02"] == timedelta(seconds=20)  # PT20M at 60x
    assert due["INJ-07"] == timedelta(seconds=150)  # PT2H30M at 60x
    assert run.end_at - start == timedelta(minutes=3)


def test_collections_and_grants(session: Session, world: World) -> None:
    run = schedule(session, world)
    play = session.get(Collection, run.collection_id)
    assert play is not None and play.kind == CollectionKind.EXERCISE
    for team in run.teams:
        grant = authz.grant_for(session, team.team_id, play.id)
        assert grant is not None and grant.can_read and grant.can_write
        briefing = session.get(Collection, team.briefing_collection_id)
        assert briefing is not None and briefing.kind == CollectionKind.EXERCISE
        readers = [g.team_id for g in briefing.grants]
        assert readers == [team.team_id]  # only the team itself, read-only
        assert briefing.grants[0].can_write is False
    outsider = world.teams["Outsider CERT"]
    assert authz.grant_for(session, outsider.id, play.id) is None


def test_scheduling_writes_jobs_to_the_shared_store(app: Flask, session: Session,
                                                     world: World) -> None:
    run = schedule(session, world, app=app)
    jobs = job_sync.scheduled_jobs(app, run.id)
    prefix = f"exercise:{run.id}:"
    held = {i.key for i in run.injects if i.held}
    assert held == {"INJ-06"}
    expected = {prefix + "start", prefix + "end"} | {prefix + "inject:" + i.key
                                                     for i in run.injects if not i.held}
    assert set(jobs) == expected
    assert jobs[prefix + "inject:INJ-02"] == run.injects[1].due_at


@pytest.mark.parametrize(("change", "message"), [
    ({"teams": {"lead": "Lotus CERT", "north": "Baltic CERT"}}, "teams: no team mapped to "
                                                                "placeholder(s) south"),
    ({"teams": {"lead": "Lotus CERT", "north": "Lotus CERT", "south": "Andes CERT"}},
     "teams: map each placeholder to a different team"),
    ({"speed": 60, "rehearsal": False}, "speed: a speed factor other than 1 is only for"),
    ({"start": datetime(2020, 1, 1, tzinfo=UTC)}, "start: is in the past"),
    ({"webhooks": {"nobody": "http://192.0.2.1/hook"}}, "webhooks: the scenario has no"),
    ({"evaluators": ["observer"]}, "evaluators: user 'observer' has role observer"),
])
def test_bad_schedule_requests_name_the_field(session: Session, world: World,
                                              change: dict[str, object], message: str) -> None:
    scenario_id = import_sample(session)
    fields: dict[str, object] = {
        "scenario": scenario_id, "name": "x", "start": utcnow() + timedelta(hours=1),
        "teams": {"lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"}}
    fields.update(change)
    with pytest.raises(BadRequest) as raised:
        planning.schedule_exercise(session, planning.ScheduleRequest(**fields),  # type: ignore[arg-type]
                                     world.users["coordinator"])
    assert raised.value.description.startswith(message)


def test_parse_start_accepts_offsets_and_zones() -> None:
    assert planning.parse_start("2027-03-01T09:00:00+07:00") == datetime(2027, 3, 1, 2,
                                                                             tzinfo=UTC)
    assert planning.parse_start("2027-03-01T09:00", "Europe/Tallinn") == datetime(
        2027, 3, 1, 7, tzinfo=UTC)
    with pytest.raises(BadRequest, match="start:"):
        planning.parse_start("next tuesday")
    with pytest.raises(BadRequest, match="timezone:"):
        planning.parse_start("2027-03-01T09:00", "Atlantis/City")


def test_only_coordinators_schedule_and_outsiders_see_nothing(
        client: FlaskClient, session: Session, world: World) -> None:
    scenario_id = import_sample(session)
    body = {"scenario": scenario_id, "name": "x", "start": "2099-01-01T00:00:00Z",
            "teams": {"lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"},
            "observers": ["observer"]}
    assert api(client, world, "kristjan", "POST", "", json=body).status_code == 403
    created = api(client, world, "coordinator", "POST", "", json=body)
    assert created.status_code == 201
    ident = created.json["id"]
    assert api(client, world, "outsider", "GET", f"/{ident}").status_code == 404
    assert api(client, world, "outsider", "GET", "").json["exercises"] == []
    # A player sees the summary (with local times) but not controller notes or verdicts.
    player_view = api(client, world, "valentina", "GET", f"/{ident}").json
    assert "injects" not in player_view and player_view["state"] == ExerciseState.SCHEDULED
    observer_view = api(client, world, "observer", "GET", f"/{ident}").json
    assert len(observer_view["injects"]) == 7
    assert api(client, world, "observer", "POST", f"/{ident}/pause").status_code == 403
    assert api(client, world, "other-coordinator", "POST", f"/{ident}/cancel").status_code == 403
