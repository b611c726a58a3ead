"""Migrations build the schema from empty, have one head, and agree with the models (issue 2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

import accord.models  # noqa: F401  (registers core tables, like migrations/env.py)
import exercises.models  # noqa: F401
import feeds.models  # noqa: F401
from accord.assembly import create_app
from accord.db import Base, database
from accord.migrate import NotMigrated, alembic_config, check_migrated, upgrade
from tests.accord.helpers import accord_env, run
from tests.conftest import app_config

HEAD = "0100_exercises_play"


@pytest.fixture
def empty_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database that has no tables yet."""
    app = create_app(app_config(empty_database_url, tmp_path / "instance"))
    yield app
    database(app).engine.dispose()


def schema_differences(engine: sa.Engine) -> list[object]:
    """What ``alembic check`` would generate: model metadata against the live schema."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, Base.metadata))


def versions(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def test_there_is_a_single_head(empty_app: Flask) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_app))
    assert script.get_heads() == [HEAD]
    revisions = {rev.revision for rev in script.walk_revisions()}
    assert revisions == {"0001", "0003", "0004", "0005", "0006", "0100_exercises_play"}


def test_upgrade_from_empty_builds_exactly_the_models(empty_app: Flask) -> None:
    engine = database(empty_app).engine
    assert sa.inspect(engine).get_table_names() == []
    with pytest.raises(NotMigrated, match="accord db upgrade"):
        check_migrated(empty_app)
    upgrade(empty_app)
    tables = set(sa.inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert versions(engine) == {HEAD}
    assert schema_differences(engine) == []
    check_migrated(empty_app)
    upgrade(empty_app)  # a second run is a no-op
    assert versions(engine) == {HEAD}


def test_downgrade_to_base_and_back(empty_app: Flask) -> None:
    engine = database(empty_app).engine
    upgrade(empty_app)
    config = alembic_config(empty_app)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    with pytest.raises(NotMigrated):
        check_migrated(empty_app)
    upgrade(empty_app)
    assert schema_differences(engine) == []


def test_behind_schema_is_reported(empty_app: Flask) -> None:
    upgrade(empty_app, "0005")
    with pytest.raises(NotMigrated, match="behind"):
        check_migrated(empty_app)


def test_alembic_command_line_from_repository_root(empty_database_url: str) -> None:
    """Plain ``alembic`` reads ``ACCORD_DATABASE_URL`` (alembic.ini + migrations/env.py)."""
    env = accord_env(empty_database_url)
    upgraded = run("alembic", "upgrade", "head", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = run("alembic", "check", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout
    engine = sa.create_engine(empty_database_url)
    try:
        assert versions(engine) == {HEAD}
    finally:
        engine.dispose()
