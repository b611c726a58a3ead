"""accord.bulkinsert.insert_rows stores what SQLAlchemy's executemany stores (issue 15).

Ingest sends its rows through insert_rows, which prepares each distinct bind value once; the
same rows inserted both ways must read back identical, column by column, as the database
holds them (raw SQL, JSON as text), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from accord.bulkinsert import insert_rows
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.tlp import Tlp
from tests.factories import make_collection, make_team, make_user

COLUMNS = [column.name for column in cast(Table, StixObject.__table__).columns
           if column.name not in ("pk", "collection_id")]


def _rows(collection: Collection, team_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
    start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    policies: list[Any] = [None, {"tlp": "amber", "attribution": "must-not", "n": 1.5e-7,
                                  "text": "Zürich \u2028 \"quoted\""}, None]
    rows = []
    for index in range(12):
        version = start - timedelta(days=index % 3) if index % 4 else \
            (start + timedelta(hours=2)).astimezone(plus_two)  # the same instant, +02:00
        rows.append({
            "collection_id": collection.id, "stix_id": f"indicator--{uuid.uuid4()}",
            "stix_type": "indicator", "spec_version": "2.1", "version": version,
            "date_added": start + timedelta(microseconds=index), "is_latest": index % 2 == 0,
            "revoked": index == 5, "tlp": [Tlp.GREEN, Tlp.AMBER, Tlp.RED][index % 3],
            "source_team_id": team_id, "source_user_id": user_id if index % 2 else None,
            "source_token_id": None, "origin": f"identity--{uuid.UUID(int=index)}",
            "contested": index == 7, "iep_policy": policies[index % 3],
            "expires_at": None if index % 3 else start + timedelta(days=30),
            "document": '{"type":"indicator","name":"é\\n"}'})
    return rows


def _read(session: Session, collection: Collection) -> list[tuple[Any, ...]]:
    names = ", ".join(f"CAST({name} AS TEXT)" if name == "iep_policy" else name
                      for name in COLUMNS)
    return [tuple(row) for row in session.execute(text(
        f"SELECT {names} FROM stix_objects WHERE collection_id = :c ORDER BY date_added"),
        {"c": str(collection.id) if session.get_bind().dialect.name == "postgresql"
         else collection.id.hex})]


def test_insert_rows_stores_what_executemany_stores(session: Session) -> None:
    team = make_team(session)
    user = make_user(session, team)
    fast, reference = make_collection(session, team), make_collection(session, team)
    rows = _rows(fast, team.id, user.id)
    insert_rows(session.connection(), cast(Table, StixObject.__table__), rows)
    session.execute(insert(cast(Table, StixObject.__table__)),
                    [{**row, "collection_id": reference.id} for row in rows])
    session.commit()
    stored = _read(session, fast)
    assert len(stored) == len(rows)
    assert stored == _read(session, reference)
    versions = session.scalars(StixObject.__table__.select().with_only_columns(
        StixObject.__table__.c.version).where(StixObject.__table__.c.collection_id == fast.id)
        .order_by(StixObject.__table__.c.date_added)).all()
    assert versions == [row["version"] for row in rows]  # the same instants, read back as UTC
