"""Is another connection holding a write transaction open on the test database right now?

Called from a fake partner (a webhook receiver, an SMTP sink, a feed server) while it handles
the hub's request: a True there means the hub waits on the network with a write uncommitted,
which on SQLite stalls every other writer ("database is locked") and on PostgreSQL leaves a
backend "idle in transaction" holding row locks. :func:`transaction_open` is the stricter
PostgreSQL check: no transaction at all, not even one that has only read (it would still hold
its snapshot and table locks that block a migration's ALTER TABLE).
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool

from accord.dberrors import sqlite_path

IDLE = """SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND state LIKE 'idle in transaction%'"""
HELD = IDLE + " AND backend_xid IS NOT NULL"


def write_lock_held(app: Flask) -> bool:
    """True if a connection other than the probe's own has written and not yet committed."""
    url = str(app.config["DATABASE_URL"])
    if sa.make_url(url).get_backend_name() == "postgresql":
        with _postgres(url).connect() as conn:
            return bool(conn.execute(sa.text(HELD)).scalar_one())
    path = sqlite_path(url)
    if path is None:
        raise ValueError(f"write_lock_held needs a file SQLite or a PostgreSQL URL, not {url}")
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "database is locked" in str(exc):
            return True
        raise
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def transaction_open(app: Flask) -> bool:
    """PostgreSQL: True if another connection is idle in a transaction, even a read-only one.
    SQLite: the same as :func:`write_lock_held` (there a reader blocks no writer)."""
    url = str(app.config["DATABASE_URL"])
    if sa.make_url(url).get_backend_name() != "postgresql":
        return write_lock_held(app)
    with _postgres(url).connect() as conn:
        return bool(conn.execute(sa.text(IDLE)).scalar_one())


@lru_cache(maxsize=4)
def _postgres(url: str) -> sa.Engine:
    """One engine per database; a fresh backend per probe, never one left idle in a pool."""
    return sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"),
                            poolclass=NullPool, isolation_level="AUTOCOMMIT")
