"""Alembic environment: every models module is imported before metadata is read."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

import accord.models  # noqa: F401  (registers core tables)
import advisories.models  # noqa: F401
import exercises.models  # noqa: F401
import feeds.models  # noqa: F401
from accord.assembly import create_app
from accord.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=config.attributes.get("on_version_apply", ()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:  # plain `alembic ...` from the repository root: same settings as the hub
        env = os.environ.get("ACCORD_ENV", "development")
        url = create_app({"ENV": env}).config["DATABASE_URL"]
    engine = make_engine(url, create=True)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
