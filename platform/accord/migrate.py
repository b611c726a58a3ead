"""Alembic from inside Accord: apply migrations and tell whether a database is up to date.

Alembic (with Mako and its script parsing) is imported by the functions that use it, so
importing this module (the health endpoint, ``accord`` commands) stays light (issue 15).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from accord.db import database
from accord.dberrors import create_sqlite_file, explain, sqlite_path

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationInfo


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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir(app)))
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return config


@dataclass(frozen=True)
class UpgradeResult:
    """What ``db upgrade`` did: the revisions before and after; ``created`` for a new schema."""

    before: frozenset[str]
    after: frozenset[str]

    @property
    def created(self) -> bool:
        return not self.before and bool(self.after)

    def describe(self, place: str) -> str:
        after = ", ".join(sorted(self.after)) or "none"
        if self.created:
            return f"Created the Accord schema (revision {after}) in {place}."
        if self.before != self.after:
            before = ", ".join(sorted(self.before))
            return f"Upgraded the schema in {place} from revision {before} to {after}."
        return f"Database is up to date (revision {after})."


def pending(app: Flask, revision: str = "heads") -> int | None:
    """How many migrations ``upgrade(app, revision)`` would apply (None when it cannot tell,
    e.g. an unknown revision: the upgrade itself then says what is wrong)."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config(app))
    path = sqlite_path(app.config["DATABASE_URL"])
    try:
        new = path is not None and not path.exists()
        current = "base" if new else tuple(_current(database(app).engine)) or "base"
        return len(list(script.iterate_revisions(revision, current)))
    except (CommandError, RevisionError, SQLAlchemyError, ValueError):
        return None


def upgrade(app: Flask, revision: str = "heads",
            on_step: Callable[[str], None] | None = None) -> UpgradeResult:
    """Apply every migration up to ``revision`` on the app's database, creating a missing SQLite
    file first (the one place a hub's database is created). ``on_step`` hears each applied
    revision with its title (``0100_exercises_play: exercise play``). Raises
    :class:`DatabaseUnreachable` with a one-line cause when the database cannot be reached."""
    from alembic import command
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    url = app.config["DATABASE_URL"]
    config = alembic_config(app)
    if on_step is not None:
        config.attributes["on_version_apply"] = [
            lambda step, **_: on_step(_describe_step(step))]
    try:
        create_sqlite_file(url)
        engine = database(app).engine
        before = _current(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return UpgradeResult(frozenset(before), frozenset(_current(engine)))
    except (CommandError, RevisionError) as exc:
        raise NotMigrated(f"revision {revision!r}: {exc}") from None
    except FileNotFoundError as exc:
        raise DatabaseUnreachable(str(exc)) from None
    except SQLAlchemyError as exc:
        raise DatabaseUnreachable(explain(exc, url)) from None


def _describe_step(step: MigrationInfo) -> str:
    """``0100_exercises_play: exercise play`` (the revision and the first line of its doc)."""
    revision = ", ".join(step.up_revision_ids)
    docs = [doc.strip().splitlines()[0] for doc in
            (getattr(script, "doc", None) for script in step.up_revisions)
            if isinstance(doc, str) and doc.strip()]
    return revision + (f": {docs[0]}" if docs else "")


def _heads(app: Flask) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(app)).get_heads())


def _current(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def check_migrated(app: Flask) -> None:
    """Raise :class:`NotMigrated` with instructions unless the schema is at the code's heads."""
    path = sqlite_path(app.config["DATABASE_URL"])
    if path is not None and path.parent.is_dir() and not path.exists():
        raise NotMigrated("the database has no Accord schema yet: run `accord db upgrade`")
    try:
        current = _current(database(app).engine)
    except SQLAlchemyError as exc:
        raise DatabaseUnreachable(explain(exc, app.config["DATABASE_URL"])) from None
    if not current:
        raise NotMigrated("the database has no Accord schema yet: run `accord db upgrade`")
    if current != _heads(app):
        raise NotMigrated(
            "the database schema is behind this version of Accord: run `accord db upgrade`"
        )
