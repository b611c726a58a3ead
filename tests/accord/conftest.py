"""Fixtures for foundation tests: an empty database (no schema) on the run's backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _create_postgres_database, drop_postgres_database


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """URL of a database with no tables at all (a fresh SQLite file or PostgreSQL database)."""
    admin_url = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url, admin_engine = _create_postgres_database(admin_url)
    yield url
    drop_postgres_database(admin_engine, url)
