"""The feeds JSON API and ``accord feeds`` CLI: CRUD, write-only secrets, runs, status, jobs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import Conflict
from accord.models.users import Role
from accord.scheduler.jobs import find_job
from feeds import secrets
from feeds.models import FeedSource
from tests.factories import json_of, make_token, make_user
from tests.feeds.conftest import Home, indicators
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote

PASSWORD = "s3cret-password"


def _create(client: FlaskClient, home: Home, remote: FakeRemote, **extra: object) -> dict[str, Any]:
    body = {"name": "partner-pull", "kind": "taxii21-pull", "collection": str(home.collection.id),
            "partner_team": home.partner.name, "interval": 300, "auth": "basic",
            "username": remote.user, "secret": remote.password,
            "settings": {"url": f"{remote.url}/taxii2/", "collection": COLLECTION_ID}, **extra}
    response = client.post("/api/v1/feeds", json=body, headers=home.headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[return-value]


def test_api_crud_keeps_credentials_write_only(app: Flask, client: FlaskClient, session: Session,
                                               home: Home, fake_remote: FakeRemote) -> None:
    created = _create(client, home, fake_remote)
    assert created["credentials"] == {"auth": "basic", "username": "feed", "secret": "****word"}
    assert PASSWORD not in json.dumps(created)
    stored = session.scalar(select(FeedSource.secret).where(FeedSource.name == "partner-pull"))
    assert stored and PASSWORD not in stored and "feed" not in stored  # encrypted at rest
    assert secrets.decrypt(app, stored).password == PASSWORD
    session.rollback()  # hold no connection while the job store is edited (it disposes the pool)

    listing = client.get("/api/v1/feeds", headers=home.headers)
    assert PASSWORD not in listing.get_data(as_text=True)
    job = find_job(app, f"feed:{created['id']}")
    assert job is not None and job.args == (created["id"],)

    patched = client.patch("/api/v1/feeds/partner-pull", json={"enabled": False},
                           headers=home.headers)
    assert patched.status_code == 200 and json_of(patched)["health"] == "disabled"
    assert find_job(app, f"feed:{created['id']}") is None
    client.patch("/api/v1/feeds/partner-pull", json={"enabled": True, "cron": "*/5 * * * *"},
                 headers=home.headers)
    job = find_job(app, f"feed:{created['id']}")
    assert job is not None and "cron" in str(job.trigger)

    fake_remote.add(indicators(12))
    run = client.post("/api/v1/feeds/partner-pull/run", headers=home.headers)
    assert run.status_code == 200
    assert (json_of(run)["outcome"], json_of(run)["stored"]) == ("success", 12)
    runs = json_of(client.get("/api/v1/feeds/partner-pull/runs", headers=home.headers))["runs"]
    assert [r["stored"] for r in runs] == [12]
    status = json_of(client.get("/api/v1/feeds/status", headers=home.headers))["feeds"]
    assert status[0]["health"] == "ok"

    assert client.delete("/api/v1/feeds/partner-pull", headers=home.headers).status_code == 204
    assert find_job(app, f"feed:{created['id']}") is None
    assert client.get("/api/v1/feeds/partner-pull", headers=home.headers).status_code == 404


def test_api_errors_are_clear(client: FlaskClient, session: Session, home: Home,
                              fake_remote: FakeRemote) -> None:
    def post(body: dict[str, Any]) -> tuple[int, str]:
        response = client.post("/api/v1/feeds", json=body, headers=home.headers)
        return response.status_code, response.json["message"]  # type: ignore[index]

    base = {"name": "x", "kind": "taxii21-pull", "collection": str(home.collection.id),
            "partner_team": home.partner.name,
            "settings": {"url": fake_remote.url, "collection": COLLECTION_ID}}
    assert post({**base, "kind": "ftp"})[0] == 400
    assert "interval" in post({**base, "interval": 1})[1]
    assert "cron" in post({**base, "cron": "every day"})[1]
    assert "collection: required" in post({**base, "settings": {"url": fake_remote.url}})[1]
    assert "basic auth needs" in post({**base, "auth": "basic"})[1]
    assert "unknown field" in post({**base, "password": "x"})[1]
    assert post({**base, "partner_team": "Nobody"})[0] == 404
    _create(client, home, fake_remote, name="x")
    assert post(base)[0] == 409

    analyst = make_user(session, home.team, Role.ANALYST)
    _, token = make_token(session, analyst)
    denied = client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    assert client.get("/api/v1/feeds").status_code == 401


def test_cli_add_list_show_run_status_runs(app: Flask, session: Session, home: Home,
                                           fake_remote: FakeRemote) -> None:
    runner = app.test_cli_runner()
    fake_remote.add(indicators(5))
    result = runner.invoke(args=[
        "feeds", "add", "cli-pull", "--kind", "taxii21-pull", "--collection",
        str(home.collection.id), "--partner-team", home.partner.name, "--url",
        f"{fake_remote.url}/taxii2/", "--remote-collection", COLLECTION_ID, "--auth", "basic",
        "--username", fake_remote.user, "--secret-stdin", "--interval", "600"],
        input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    shown = runner.invoke(args=["feeds", "show", "cli-pull", "--json"])
    assert PASSWORD not in shown.output
    assert json.loads(shown.output)["credentials"]["auth"] == "basic"
    assert "cli-pull" in runner.invoke(args=["feeds", "list"]).output

    ran = runner.invoke(args=["feeds", "run", "cli-pull"])
    assert ran.exit_code == 0, ran.output
    assert "Run success" in ran.output and "5 stored" in ran.output
    assert "ok" in runner.invoke(args=["feeds", "status"]).output
    runs = json.loads(runner.invoke(args=["feeds", "runs", "cli-pull", "--json"]).output)
    assert runs[0]["stored"] == 5

    assert runner.invoke(args=["feeds", "disable", "cli-pull"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["feeds", "status"]).output
    assert runner.invoke(args=["feeds", "enable", "cli-pull"]).exit_code == 0
    fake_remote.mode = "500"
    failed = runner.invoke(args=["feeds", "run", "cli-pull"])
    assert failed.exit_code == 1 and "remote answered HTTP 500" in failed.output
    assert "failing" in runner.invoke(args=["feeds", "status"]).output
    updated = runner.invoke(args=["feeds", "update", "cli-pull", "--page-size", "2"])
    assert updated.exit_code == 0, updated.output
    missing = runner.invoke(args=["feeds", "run", "nope"])
    assert missing.exit_code == 1 and "no feed named 'nope'" in missing.output
    assert runner.invoke(args=["feeds", "remove", "cli-pull"]).exit_code == 0


def test_changed_secret_key_is_a_clear_error(app: Flask, session: Session, home: Home,
                                             fake_remote: FakeRemote) -> None:
    token = secrets.encrypt(app, secrets.make_credentials("bearer", None, "tok-123456789012"))
    app.config["FEEDS_KEY"] = "not a fernet key"
    shown = secrets.describe_stored(app, token)
    assert "error" in shown
    app.config["FEEDS_KEY"] = None
    assert secrets.decrypt(app, token).token == "tok-123456789012"
    assert "tok-" not in repr(secrets.decrypt(app, token))

    app.config["FEEDS_KEY"] = Fernet.generate_key().decode()  # a dedicated key wins
    dedicated = secrets.encrypt(app, secrets.make_credentials("basic", "u", "pw-123456789012"))
    assert secrets.decrypt(app, dedicated).password == "pw-123456789012"
    app.config["FEEDS_KEY"] = None
    with pytest.raises(Conflict, match="secret key changed"):
        secrets.decrypt(app, dedicated)
