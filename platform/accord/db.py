"""Database plumbing: declarative base, column types, engine and the per-request session.

The request (or job) edge owns the session: :func:`get_session` opens one lazily per app
context and the teardown closes it, rolling back anything not committed (ARCHITECTURE rule 1).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from flask import Flask, current_app, g
from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    String,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

from accord import clock
from accord.dberrors import sqlite_path

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Current time, timezone-aware UTC, microsecond precision, from the hub's clock."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC and aware in Python, whatever the backend stores.

    SQLite keeps naive text (``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts correctly);
    PostgreSQL keeps ``timestamptz`` with microseconds.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RepeatedUuid(Uuid[uuid.UUID]):
    """A UUID column whose few values repeat on many rows (the team that shared a version):
    where UUIDs are stored as text (SQLite), each value is decoded once, not on every row of
    every page read (issue 15). UUIDs are immutable, so rows may share one."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        process = super().result_processor(dialect, coltype)  # type: ignore[no-untyped-call]
        if process is None or (dialect.supports_native_uuid and self.native_uuid):
            return process
        return lru_cache(maxsize=1024)(process)


JSONDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")

uuid_pk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True, default=uuid.uuid4)]
created_at = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
short_text = Annotated[str, mapped_column(String(200))]


class Base(DeclarativeBase):
    """Base class of every model; carries the constraint naming convention for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONDocument}


@dataclass
class Database:
    """Per-app database handles, kept in ``app.extensions["accord.db"]``."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, create: bool = False, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas and pool settings Accord relies on.

    A SQLite file is opened read-write only (never created by a connection) unless ``create``:
    only ``accord db upgrade`` and the demo create a hub's database.
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and not create:
            url = f"sqlite:///file:{path}?mode=rw&uri=true"
        # Pooled (not one connection per request): closing SQLite's last connection checkpoints
        # the WAL, which cost every request about 20 ms. Forked servers dispose the pool first.
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def init_app(app: Flask) -> None:
    """Create the engine and session factory for ``app`` and close sessions at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["accord.db"] = Database(
        engine=engine, sessionmaker=sessionmaker(bind=engine, expire_on_commit=False)
    )
    app.teardown_appcontext(close_session)


def database(app: Flask | None = None) -> Database:
    """The :class:`Database` of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    db: Database = target.extensions["accord.db"]
    return db


def get_session() -> Session:
    """The session of the current request or app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Teardown: roll back whatever was not committed and return the connection."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def job_session(app: Flask) -> Iterator[Session]:
    """A session for background work outside a request: committed on success, else rolled back."""
    session = database(app).sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
