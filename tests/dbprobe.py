"""Whether some connection of the hub holds a write transaction open right now.

Remote servers in the tests call this while they answer: a hub that keeps a write open while it
waits for a partner stalls every other writer on SQLite (the database has one write lock) and
sits idle in transaction, holding row locks, on PostgreSQL.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask import Flask

from accord.db import database
from accord.dberrors import sqlite_path

_POSTGRES_WRITERS = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%' "
    "AND backend_xid IS NOT NULL")


def write_lock_held(app: Flask) -> bool:
    """True if another connection to ``app``'s database has written and not yet committed."""
    engine = database(app).engine
    path = sqlite_path(str(app.config["DATABASE_URL"]))  # the engine's URL is a file: URI
    if engine.dialect.name == "sqlite":
        if path is None:
            raise ValueError("the probe needs a file-backed SQLite database")
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                return True
            raise
        else:
            probe.execute("ROLLBACK")
        finally:
            probe.close()
        return False
    with sa.create_engine(engine.url, poolclass=sa.NullPool).connect() as conn:
        return bool(conn.execute(_POSTGRES_WRITERS).scalar())
