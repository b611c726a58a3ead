"""A command that works on the hub's database imports only what it uses (issue 15): its app
has no blueprint, so no web page, API or TAXII module loads, and stix2, Alembic, Markdown and
the HTTP client are imported by the functions that need them. Each command runs in a fresh
interpreter on the test database (SQLite, or PostgreSQL with ``ACCORD_TEST_DATABASE_URL``).
(Not timed: ``bench/cli_startup.py`` measures the startup.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.accord.helpers import accord_env
from tests.accord.test_cli_startup import modules_after
from tests.factories import make_team

SERVING = ("accord.web", "accord.api", "accord.taxii", "accord.health", "accord.assembly.wsgi",
           "accord.serving", "gunicorn", "feeds.web", "feeds.api", "exercises.web",
           "exercises.api.common", "exercises.api.runs", "advisories.web", "advisories.api")
"""What only an app serving HTTP imports: every blueprint's module, the server."""
HEAVY = ("stix2", "stix2patterns", "alembic", "mako", "markdown")
"""Libraries imported only where they are used: validation, migrations, rendering."""
CORE_ONLY = ("requests", "apscheduler", "yaml", "cryptography", "accord.sharing.ingest")
"""What a core directory command never needs: HTTP client, scheduler, scenarios, the write
path."""
FEATURES = ("feeds", "exercises", "advisories")


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in names)]


def _run(app: Flask, tmp_path: Path, *args: str) -> tuple[str, list[str]]:
    env = accord_env(app.config["DATABASE_URL"], ACCORD_INSTANCE_PATH=str(tmp_path))
    return modules_after(*args, env=env)


@pytest.mark.parametrize("args", [("team", "list", "--json"), ("user", "list", "--json"),
                                  ("collection", "list"), ("agreements", "list"),
                                  ("token", "list")])
def test_a_directory_command_imports_no_web_module_and_no_heavy_library(
        app: Flask, session: Session, tmp_path: Path, args: tuple[str, ...]) -> None:
    make_team(session, "Lotus CERT")
    output, modules = _run(app, tmp_path, *args)
    if args[0] == "team":
        assert [team["name"] for team in json.loads(output)] == ["Lotus CERT"]
    assert _loaded(modules, SERVING + HEAVY + CORE_ONLY) == []
    # Of the features, only their descriptions (``<feature>.feature``) are imported.
    assert sorted(_loaded(modules, FEATURES)) == sorted(
        [*FEATURES, *(f"{name}.feature" for name in FEATURES)])
    assert "accord.assembly.factory" in modules  # the hub was built


@pytest.mark.parametrize(("args", "also_not"), [
    (("feeds", "status"), ("requests", "apscheduler", "yaml", "accord.sharing.ingest")),
    (("feeds", "list"), ("requests", "apscheduler", "yaml", "accord.sharing.ingest")),
    (("exercise", "list", "--json"), CORE_ONLY),
    (("exercise", "scenarios"), ("requests", "accord.sharing.ingest")),
])
def test_a_feature_command_imports_no_web_module(app: Flask, tmp_path: Path,
                                                 args: tuple[str, ...],
                                                 also_not: tuple[str, ...]) -> None:
    """Nor what it does not use: the feed engine's HTTP client for a listing, the scenario
    library (YAML) for the list of runs."""
    _, modules = _run(app, tmp_path, *args)
    assert _loaded(modules, SERVING + HEAVY + also_not) == []


def test_db_check_imports_alembic_but_no_web_module(app: Flask, tmp_path: Path) -> None:
    _, modules = _run(app, tmp_path, "db", "check")
    assert "alembic" in modules
    assert _loaded(modules, SERVING + ("stix2", "markdown", "requests")) == []
