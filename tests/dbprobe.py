"""Is another connection holding a write transaction open on the test database right now?

Called from a fake partner (a webhook receiver, an SMTP sink, a feed server) while it handles
the hub's request: a True there means the hub waits on the network with a write uncommitted,
which on SQLite stalls every other writer ("database is locked") and on PostgreSQL leaves a
backend "idle in transaction" holding row locks.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool

from accord.dberrors import sqlite_path

HELD = """SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND state LIKE 'idle in transaction%' AND backend_xid IS NOT NULL"""


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


@lru_cache(maxsize=4)
def _postgres(url: str) -> sa.Engine:
    """One engine per database; a fresh backend per probe, never one left idle in a pool."""
    return sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"),
                            poolclass=NullPool, isolation_level="AUTOCOMMIT")
