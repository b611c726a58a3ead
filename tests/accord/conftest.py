"""Fixtures for foundation tests: an empty database (no schema) on the run's backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import _create_postgres_database


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """URL of a database with no tables at all (a fresh SQLite file or PostgreSQL database)."""
    admin_url = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url, admin_engine = _create_postgres_database(admin_url)
    yield url
    name = sa.make_url(url).database
    with admin_engine.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin_engine.dispose()
