"""Probes, configuration checks, ``accord serve``'s schema check and secrets kept out of logs
(issue 2)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.orm import Session

from accord.assembly import cli as main
from accord.assembly import create_app
from accord.assembly.cli import cli
from accord.cli import server
from accord.config import ConfigError
from accord.db import database
from accord.migrate import upgrade
from tests.accord.helpers import accord_env, one_error_line
from tests.accord.test_auth import basic, bearer
from tests.conftest import TEST_SECRET, LiveServer, app_config
from tests.factories import make_token, make_user


@pytest.fixture
def empty_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database that has never been migrated."""
    app = create_app(app_config(empty_database_url, tmp_path / "instance"))
    yield app
    database(app).engine.dispose()


def probe(app: Flask, path: str) -> tuple[int, Any]:
    response = app.test_client().get(path)
    return response.status_code, response.json


def test_probes_over_http_on_a_migrated_hub(live_server: LiveServer) -> None:
    for path, body in (("/healthz", {"status": "ok"}), ("/readyz", {"status": "ready"})):
        response = requests.get(f"{live_server.url}{path}", timeout=30)
        assert (response.status_code, response.json()) == (200, body)
        assert "WWW-Authenticate" not in response.headers  # probes need no credentials


def test_readyz_is_503_until_migrated(empty_app: Flask) -> None:
    assert probe(empty_app, "/healthz") == (200, {"status": "ok"})
    status, body = probe(empty_app, "/readyz")
    assert status == 503 and body["status"] == "unavailable"
    assert "run `accord db upgrade`" in body["reason"]
    upgrade(empty_app, "0005")
    status, body = probe(empty_app, "/readyz")
    assert status == 503 and "behind" in body["reason"]
    upgrade(empty_app)
    assert probe(empty_app, "/readyz") == (200, {"status": "ready"})


@pytest.mark.parametrize(("url", "cause"), [
    ("sqlite:////nonexistent-accord-dir/sub/accord.sqlite3",
     "the SQLite folder /nonexistent-accord-dir/sub does not exist"),
    ("postgresql+psycopg://accord:s3cret-db-pw@127.0.0.1:1/accord",  # nothing listens on port 1
     "PostgreSQL at 127.0.0.1:1 refused the connection"),
])
def test_readyz_is_503_when_the_database_is_unreachable(
        url: str, cause: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(app_config(url, tmp_path))
    try:
        with caplog.at_level(logging.WARNING, logger="accord.health"):
            status, body = probe(app, "/readyz")
    finally:
        database(app).engine.dispose()
    # The public probe names no host, port or password; the log says what went wrong.
    assert (status, body) == (503, {"status": "unavailable", "reason": "database unreachable"})
    assert cause in caplog.text and "s3cret-db-pw" not in caplog.text


def config_error(tmp_path: Path, **overrides: Any) -> str:
    settings = app_config("sqlite:///" + str(tmp_path / "c.sqlite3"), tmp_path, TESTING=False,
                          ENV="production")
    with pytest.raises(ConfigError) as caught:
        create_app({**settings, **overrides})
    return str(caught.value)


def test_config_errors_say_what_to_fix(tmp_path: Path) -> None:
    assert config_error(tmp_path, SECRET_KEY=None).startswith("ACCORD_SECRET_KEY is not set.")
    assert config_error(tmp_path, SECRET_KEY="").startswith("ACCORD_SECRET_KEY is not set.")
    assert config_error(tmp_path, SECRET_KEY="too-short") == \
        "ACCORD_SECRET_KEY is too short: use at least 16 characters"
    assert config_error(tmp_path, DATABASE_URL="mysql://db/accord") == \
        "ACCORD_DATABASE_URL must be a sqlite:/// or postgresql:// URL, not 'mysql'"
    assert config_error(tmp_path, DATABASE_URL="not a url").startswith(
        "ACCORD_DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    assert config_error(tmp_path, DATABASE_URL="postgresql://db:port/accord").startswith(
        "ACCORD_DATABASE_URL is not a valid database URL")
    assert config_error(tmp_path, ENV="staging").startswith("ACCORD_ENV must be one of")
    assert config_error(tmp_path, TAXII_PAGE_SIZE=0) == \
        "ACCORD_TAXII_PAGE_SIZE must be a positive integer"
    assert config_error(tmp_path, TAXII_DEFAULT_TLP="white").startswith(
        "ACCORD_TAXII_DEFAULT_TLP must be")


def test_config_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in accord_env(f"sqlite:///{tmp_path / 'env.sqlite3'}",
                                  ACCORD_INSTANCE_PATH=str(tmp_path),
                                  ACCORD_TAXII_PAGE_SIZE="50").items():
        monkeypatch.setenv(name, value)
    app = create_app()
    try:
        assert app.config["SECRET_KEY"] == TEST_SECRET and app.config["TAXII_PAGE_SIZE"] == 50
        assert app.config["ENV"] == "production"
    finally:
        database(app).engine.dispose()
    monkeypatch.setenv("ACCORD_DATABASE_URL", "postgres://u@db/accord")
    app = create_app()
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@db/accord"
    database(app).engine.dispose()
    monkeypatch.setenv("ACCORD_TAXII_PAGE_SIZE", "many")
    with pytest.raises(ConfigError, match="ACCORD_TAXII_PAGE_SIZE must be a positive integer"):
        create_app()


def test_development_generates_a_secret_and_says_so(tmp_path: Path) -> None:
    app = create_app({"ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    try:
        assert len(app.config["SECRET_KEY"]) >= 32
        assert any("No ACCORD_SECRET_KEY set" in n for n in app.extensions["accord.notices"])
        assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'accord.sqlite3'}"
    finally:
        database(app).engine.dispose()


@pytest.mark.parametrize(("env", "message"), [
    ({"ACCORD_SECRET_KEY": "short"}, "Error: ACCORD_SECRET_KEY is too short"),
    ({"ACCORD_DATABASE_URL": "mysql://db/accord"}, "Error: ACCORD_DATABASE_URL must be"),
    ({"ACCORD_DATABASE_URL": "postgresql://db:x/a"}, "Error: ACCORD_DATABASE_URL is not a valid"),
])
def test_cli_config_errors_are_one_line(tmp_path: Path, env: dict[str, str],
                                        message: str) -> None:
    environment = {**accord_env(f"sqlite:///{tmp_path / 'c.sqlite3'}"), **env}
    result = CliRunner().invoke(cli, ["team", "list"], env=environment)
    assert result.exit_code == 1
    assert one_error_line(result.stderr).startswith(message)


class ServeCalls:
    """Stands in for gunicorn so the test sees whether ``accord serve`` would start."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any, **options: Any) -> None:
        self.calls.append(args)


@pytest.fixture
def cli_apps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Flask]]:
    """The apps ``accord`` builds in-process, disposed afterwards (a process would just exit)."""
    built: list[Flask] = []

    def build(overrides: dict[str, Any] | None = None, *, http: bool = False) -> Flask:
        built.append(create_app(overrides, http=http))
        return built[-1]

    monkeypatch.setattr(main, "create_app", build)
    yield built
    for app in built:
        database(app).engine.dispose()


def test_serve_refuses_an_unmigrated_database(empty_database_url: str, cli_apps: list[Flask],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    started = ServeCalls()
    monkeypatch.setattr(server, "serve", started)
    env = accord_env(empty_database_url)
    refused = CliRunner().invoke(cli, ["serve", "--port", "8765"], env=env)
    assert refused.exit_code == 1 and started.calls == []
    assert one_error_line(refused.stderr) == \
        "Error: the database has no Accord schema yet: run `accord db upgrade`"
    assert CliRunner().invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    served = CliRunner().invoke(cli, ["serve", "--port", "8765", "--workers", "3"], env=env)
    assert served.exit_code == 0, served.output
    assert [call[1:] for call in started.calls] == [("127.0.0.1", 8765, 3, 4)]
    assert started.calls[0][0] is cli_apps[-1]
    # ``serve`` serves the whole hub; ``db upgrade`` has an app without the web (issue 15).
    assert {"health", "taxii", "web"} <= set(cli_apps[-1].blueprints)
    assert not cli_apps[-2].blueprints and not cli_apps[-2].cli.commands


def test_tokens_and_passwords_never_reach_the_logs(
        live_server: LiveServer, session: Session, caplog: pytest.LogCaptureFixture) -> None:
    user = make_user(session, username="lan")
    token, secret = make_token(session, user)
    caplog.set_level(logging.DEBUG)  # every logger, SQL statements with their parameters too
    for level_name in ("sqlalchemy.engine", "werkzeug", "accord"):
        caplog.set_level(logging.DEBUG, logger=level_name)
    password = "lan-secret-password-typo"
    for headers in (bearer(secret), basic("lan", secret), bearer(secret + "x"),
                    basic("lan", password)):
        requests.get(f"{live_server.url}/api/v1/me", headers=headers, timeout=30)
    requests.get(f"{live_server.url}/taxii2/", headers=bearer(secret), timeout=30)
    logged = caplog.text + repr([record.args for record in caplog.records])
    assert "/api/v1/me" in logged  # the requests were logged ...
    assert "SELECT" in logged  # ... and so was SQL, with parameters
    for secret_text in (secret, secret[len(token.display_prefix):], password):
        assert secret_text not in logged
