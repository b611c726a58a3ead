"""Alembic from inside Accord: apply migrations and tell whether a database is up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from accord.db import database


class NotMigrated(RuntimeError):
    """The database schema is missing or behind the code."""


class DatabaseUnreachable(NotMigrated):
    """The database could not be asked at all (down, wrong address, refused login)."""


def migrations_dir(app: Flask) -> Path:
    """Where the Alembic scripts live: ``ACCORD_MIGRATIONS_DIR``, else those the assembly
    ships inside the package (they cover the core's and every feature's tables)."""
    configured = app.config.get("MIGRATIONS_DIR")
    if not configured:
        raise NotMigrated("no migrations are configured for this hub (ACCORD_MIGRATIONS_DIR)")
    path = Path(configured)
    if not (path / "env.py").exists():
        raise NotMigrated(f"Alembic migrations not found in {path} (ACCORD_MIGRATIONS_DIR)")
    return path


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(app)))
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return config


def upgrade(app: Flask, revision: str = "heads") -> None:
    """Apply every migration up to ``revision`` on the app's database."""
    config = alembic_config(app)
    with database(app).engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _heads(app: Flask) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(app)).get_heads())


def _current(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def check_migrated(app: Flask) -> None:
    """Raise :class:`NotMigrated` with instructions unless the schema is at the code's heads."""
    try:
        current = _current(database(app).engine)
    except SQLAlchemyError as exc:
        detail = exc.args[0] if exc.args else ""
        raise DatabaseUnreachable(
            f"database unreachable: {exc.__class__.__name__}: {detail}") from None
    if not current:
        raise NotMigrated("the database has no Accord schema yet: run `accord db upgrade`")
    if current != _heads(app):
        raise NotMigrated(
            "the database schema is behind this version of Accord: run `accord db upgrade`"
        )
