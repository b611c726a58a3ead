"""Exercise names are unique (issue 18): the API, the CLI and the web form refuse a second
exercise with the same name (ignoring case) with a clear message, and store nothing."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exercises.models import Exercise
from tests.exercises.conftest import World, api, schedule
from tests.web.helpers import csrf_from, sign_in
from tests.web.test_schedule import _form

MESSAGE = "name: an exercise named 'harbour lights DRILL' already exists; choose another name"


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Exercise)) or 0)


def test_api_refuses_a_duplicate_name(client: FlaskClient, session: Session,
                                      world: World) -> None:
    first = schedule(session, world)  # "Harbour Lights drill"
    body = {"scenario": str(first.scenario_id), "name": "harbour lights DRILL",
            "start": "2099-01-01T09:00Z",
            "teams": {"lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"}}
    refused = api(client, world, "coordinator", "POST", "", json=body)
    assert refused.status_code == 409
    assert MESSAGE in refused.get_data(as_text=True)
    assert _count(session) == 1
    renamed = api(client, world, "coordinator", "POST", "", json={**body, "name": "Second run"})
    assert renamed.status_code == 201, renamed.get_data(as_text=True)


def test_cli_refuses_a_duplicate_name(app: Flask, session: Session, world: World) -> None:
    first = schedule(session, world)
    result = app.test_cli_runner().invoke(args=[
        "exercise", "schedule", str(first.scenario_id), "--name", "harbour lights DRILL",
        "--start", "2099-01-01T09:00Z", "--team", "lead=Lotus CERT",
        "--team", "north=Baltic CERT", "--team", "south=Andes CERT", "--as", "coordinator"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {MESSAGE}"
    assert _count(session) == 1


def test_web_form_refuses_a_duplicate_name(app: Flask, session: Session, world: World) -> None:
    first = schedule(session, world)
    client = app.test_client()
    sign_in(client, "coordinator")
    page = client.get(f"/exercises/schedule/?scenario={first.scenario_id}")
    refused = client.post("/exercises/schedule/", data=_form(
        str(first.scenario_id), csrf_from(page), "schedule", name="harbour lights DRILL",
        evaluators=[]))
    assert refused.status_code == 409
    assert MESSAGE.replace("'", "&#39;") in refused.get_data(as_text=True)
    assert _count(session) == 1
