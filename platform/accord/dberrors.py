"""One line naming the real cause when the database cannot be reached or opened.

Operators see these instead of a driver traceback (issue: "one line, every time"). Nothing here
prints a password: URLs are rendered without it.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

# Driver messages of a database that is there but cannot serve this statement now: another
# writer holds SQLite's lock past the busy timeout, or PostgreSQL is restarting, full of
# clients or out of reach. Retrying later succeeds; the request itself was not at fault.
_UNAVAILABLE = re.compile(
    r"database is locked|database table is locked|could not connect|connection refused|"
    r"server closed the connection|terminating connection|connection timed out|"
    r"timeout expired|the database system is (starting up|shutting down|in recovery mode)|"
    r"too many clients|connection is closed|no connection to the server", re.IGNORECASE)


def sqlite_path(url: str) -> Path | None:
    """The file of a file-backed SQLite URL, else None (PostgreSQL, in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def where(url: str) -> str:
    """The database's place for a message: a file path, or host:port/name without password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def explain(exc: BaseException, url: str) -> str:
    """A one-line cause for a failed connection or statement on the database at ``url``."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    path = sqlite_path(url)
    if path is not None and "unable to open database file" in text:
        if not path.parent.exists():
            return f"the SQLite folder {path.parent} does not exist"
        if not path.exists():
            return (f"no Accord database at {path}: run `accord db upgrade` to create one, or "
                    "point the CLI at your hub (--config or ACCORD_CONFIG)")
        return f"cannot open the SQLite database {path} (check its permissions)"
    place = where(url)
    if path is not None and "database is locked" in text:
        return (f"the SQLite database {path} stayed locked by another writer past the busy "
                "timeout; try again (a hub that is often this busy belongs on PostgreSQL)")
    patterns = (
        (r'role "([^"]+)" does not exist', "PostgreSQL role {0!r} does not exist at " + place),
        (r'database "([^"]+)" does not exist', "PostgreSQL database {0!r} does not exist at "
         + place.rsplit("/", 1)[0]),
        (r"password authentication failed for user \"([^\"]+)\"",
         "PostgreSQL refused the password of user {0!r} at " + place),
        (r"Connection refused", "PostgreSQL at " + place.rsplit("/", 1)[0]
         + " refused the connection (is it running?)"),
        (r"(could not translate host name|Name or service not known|nodename nor servname)",
         "the PostgreSQL host of " + place + " cannot be resolved"),
        (r"(timeout expired|timed out)", "PostgreSQL at " + place + " did not answer in time"),
        (r"no such table", "the database at " + place
         + " has no Accord schema yet: run `accord db upgrade`"),
        (r"relation \"[^\"]+\" does not exist", "the database at " + place
         + " has no Accord schema yet: run `accord db upgrade`"),
    )
    for pattern, message in patterns:
        found = re.search(pattern, text)
        if found:
            return message.format(*found.groups())
    first = text.splitlines()[0] if text else original.__class__.__name__
    return f"database error at {place}: {first[:200]}"


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot serve now (busy, restarting, unreachable), as
    opposed to a statement it refused: the first is answered 503, the second is a bug."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    return bool(_UNAVAILABLE.search(str(getattr(exc, "orig", None) or exc)))


def create_sqlite_file(url: str) -> bool:
    """Create the SQLite file of ``url`` if missing (only `db upgrade` and the demo do this);
    True if it was created. A missing folder is an error, never created silently."""
    path = sqlite_path(url)
    if path is None or path.exists():
        return False
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the SQLite folder {path.parent} does not exist")
    sqlite3.connect(path).close()
    return True


__all__ = ["SQLAlchemyError", "create_sqlite_file", "explain", "is_unavailable", "sqlite_path",
           "where"]
