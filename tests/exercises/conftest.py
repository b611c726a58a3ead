"""Fixtures for exercise tests: three partner CERTs in three time zones, their people and
tokens, and helpers to schedule the bundled samples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.scheduler.jobs import bind_job_app
from exercises.models import Exercise
from exercises.runs import job_sync, planning
from exercises.scenarios import library, scenario_format
from tests.factories import make_team, make_token, make_user

TEAMS = [("Lotus CERT", "VN", "Asia/Ho_Chi_Minh"), ("Baltic CERT", "EE", "Europe/Tallinn"),
         ("Andes CERT", "CL", "America/Santiago")]
PLACEHOLDERS = {"lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"}


@dataclass
class World:
    """Teams, users and bearer tokens of the exercise tests."""

    teams: dict[str, Team] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture
def world(session: Session) -> World:
    """Lotus (EXCON and lead), Baltic and Andes CERTs, plus an outsider team."""
    data = World()
    for name, country, tz in [*TEAMS, ("Outsider CERT", "FR", "Europe/Paris")]:
        data.teams[name] = make_team(session, name, country, tz)
    people = [("coordinator", "Lotus CERT", Role.COORDINATOR),
              ("lan", "Lotus CERT", Role.ANALYST),
              ("kristjan", "Baltic CERT", Role.ANALYST),
              ("valentina", "Andes CERT", Role.ANALYST),
              ("evaluator", "Baltic CERT", Role.EVALUATOR),
              ("observer", "Andes CERT", Role.OBSERVER),
              ("other-coordinator", "Baltic CERT", Role.COORDINATOR),
              ("outsider", "Outsider CERT", Role.ANALYST)]
    for username, team, role in people:
        user = make_user(session, data.teams[team], role, username)
        data.users[username] = user
        data.tokens[username] = make_token(session, user)[1]
    return data


@pytest.fixture
def bound_app(app: Flask) -> Iterator[Flask]:
    """The app bound for job functions, as the scheduler process binds it."""
    bind_job_app(app)
    try:
        yield app
    finally:
        bind_job_app(None)


def import_sample(session: Session, name: str = "harbour-lights") -> str:
    record = library.save(session, scenario_format.parse(library.sample_text(name)))
    session.commit()
    return str(record.id)


def schedule(session: Session, world: World, *, name: str = "Harbour Lights drill",
             start: datetime | None = None, speed: float = 1.0, sample: str = "harbour-lights",
             app: Flask | None = None, **extra: Any) -> Exercise:
    """Import a sample and schedule it for the three teams (and sync jobs if ``app``)."""
    scenario_id = import_sample(session, sample)
    placeholders = extra.pop("teams", PLACEHOLDERS)
    request = planning.ScheduleRequest(
        scenario=scenario_id, name=name, start=start or utcnow() + timedelta(hours=1),
        teams=placeholders, speed=speed, rehearsal=speed != 1,
        evaluators=["evaluator"], observers=["observer"], **extra)
    run = planning.schedule_exercise(session, request, world.users["coordinator"])
    session.commit()
    if app is not None:
        job_sync.sync_jobs(app, run.id)
    return run


def api(client: FlaskClient, world: World, user: str, method: str, path: str,
        **kwargs: Any) -> Any:
    """Call the exercises API as ``user``; returns the test response."""
    return client.open(f"/api/v1/exercises{path}", method=method, headers=world.headers(user),
                       **kwargs)
