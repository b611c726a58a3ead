"""Shared fixtures: a real, migrated database per run (SQLite by default, PostgreSQL when
``ACCORD_TEST_DATABASE_URL`` is set), the app, a live HTTP server, and data cleanup per test.

Every test that asks for ``app`` (directly or through ``session``, ``client`` or
``live_server``) starts with empty tables: rows are deleted after each test, which also works
for data committed by a live server thread.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from accord.assembly import create_app
from accord.clock import ManualClock, use
from accord.db import Base, database
from accord.migrate import upgrade

TEST_SECRET = "test-secret-key-that-is-long-enough"


def _create_postgres_database(admin_url: str) -> tuple[str, sa.Engine]:
    """Create a uniquely named database next to ``admin_url``; fail loudly if unreachable."""
    url = sa.make_url(admin_url).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            name = f"accord_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.exit(f"ACCORD_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}", 3)
    return url.set(database=name).render_as_string(hide_password=False), engine


def drop_postgres_database(admin_engine: sa.Engine, url: str) -> None:
    """Drop a database made by :func:`_create_postgres_database`, ending its sessions first."""
    name = sa.make_url(url).database
    with admin_engine.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin_engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a fresh database for this test run."""
    admin_url = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'accord-test.sqlite3'}"
        return
    url, admin_engine = _create_postgres_database(admin_url)
    yield url
    drop_postgres_database(admin_engine, url)


def app_config(database_url: str, instance: Path, **overrides: Any) -> dict[str, Any]:
    """The settings every test app starts from."""
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        **overrides,
    }


@pytest.fixture(scope="session")
def _migrated_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(app_config(database_url, tmp_path_factory.mktemp("instance")))
    upgrade(app)
    yield app
    database(app).engine.dispose()


def delete_all_rows(app: Flask) -> None:
    """Empty every table (children first), keeping the schema and Alembic's version."""
    with database(app).engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            existing = set(sa.inspect(conn).get_table_names())
            extra = existing - {t.name for t in Base.metadata.sorted_tables} - {"alembic_version"}
            for name in sorted(extra):  # e.g. the APScheduler job store
                conn.execute(sa.text(f'DELETE FROM "{name}"'))
        else:
            existing = set(sa.inspect(conn).get_table_names())
            for name in sorted(existing - {t.name for t in Base.metadata.sorted_tables}
                               - {"alembic_version"}):
                conn.execute(sa.text(f'DELETE FROM "{name}"'))


@pytest.fixture
def app(_migrated_app: Flask) -> Iterator[Flask]:
    """The migrated test app; its tables are emptied after the test."""
    saved = dict(_migrated_app.config)
    try:
        yield _migrated_app
    finally:
        _migrated_app.config.clear()
        _migrated_app.config.update(saved)
        delete_all_rows(_migrated_app)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    """The hub's clock, for this test, as one the test moves (``clock.advance(seconds=5)``)."""
    with use(ManualClock()) as manual:
        assert isinstance(manual, ManualClock)
        yield manual


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test database (commit freely; rows are removed after the test)."""
    db_session = database(app).sessionmaker()
    try:
        yield db_session
    finally:
        db_session.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class LiveServer:
    """The test app served over real HTTP on 127.0.0.1, in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def _live_server(_migrated_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(_migrated_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(app: Flask, _live_server: LiveServer) -> LiveServer:
    """A live server for the test app; data is cleaned after each test like ``app``."""
    return _live_server
