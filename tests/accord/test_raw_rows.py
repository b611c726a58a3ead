"""A raw page (driver values, :mod:`accord.sharing.raw_rows`) holds what an ordinary page does.

Every plain ``StixObject`` column (text, string, timestamp, boolean, enum, UUID, JSON, integer)
is read both ways, with values and with NULLs, and a pre-0210 policy stored as JSON ``null``:
each raw row converts to the ordinary row, a raw NULL is a NULL, and text needs no conversion
(what the TAXII read path relies on to serve rows without converting them).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.stix import StixObject
from accord.sharing.ingest import Author, add_objects
from accord.sharing.query import ObjectFilter, VersionFilter, read_page, read_raw_page
from accord.tlp import ReadAccess, Tlp
from tests.factories import make_collection, make_team
from tests.taxii.conftest import indicator

COLUMNS = [column for column in StixObject.__mapper__.column_attrs
           if column.key != "date_added"]
TEXT = ("stix_id", "stix_type", "spec_version", "origin", "document", "outbound_text")


def test_raw_rows_convert_to_the_ordinary_rows(session: Session) -> None:
    team = make_team(session, "CERT-Raw")
    collection = make_collection(session, team, "Raw rows")
    author = Author(team.id)
    stored = add_objects(session, collection, [indicator(f"192.0.2.{n}") for n in range(1, 6)],
                         author)
    assert stored.failures == []
    policy = {"attribution": "must-not", "encrypt_in_transit": "must"}
    first, second, third, _fourth, with_policy = session.scalars(
        StixObject.__table__.select().order_by(StixObject.date_added)
        .with_only_columns(StixObject.pk)).all()
    session.execute(update(StixObject).where(StixObject.pk == first).values(
        origin=None, outbound_text=None, expires_at=utcnow() + timedelta(days=3)))
    session.execute(update(StixObject).where(StixObject.pk == second).values(outbound_text=""))
    session.execute(update(StixObject).where(StixObject.pk == with_policy).values(
        iep_policy=policy, outbound_text=None))
    session.execute(text("UPDATE stix_objects SET iep_policy = 'null' WHERE pk = :pk"),
                    {"pk": third})
    session.commit()
    access = ReadAccess(team_id=team.id, max_tlp=Tlp.RED)
    columns = [getattr(StixObject, column.key) for column in COLUMNS]
    filters = ObjectFilter(versions=VersionFilter(all=True))
    typed = read_page(session, columns, collection.id, access, filters, 4)
    raw = read_raw_page(session, columns, collection.id, access, filters, 4)
    assert (raw.more, raw.first_added, raw.last_added) == \
        (typed.more, typed.first_added, typed.last_added)
    assert [tuple(raw.converters.typed(row)) for row in raw.rows] == \
        [tuple(row) for row in typed.rows]
    names = [column.key for column in COLUMNS] + ["date_added"]
    for raw_row, row in zip(raw.rows, typed.rows, strict=True):
        for name, raw_value, value in zip(names, raw_row, row, strict=True):
            assert raw.converters.converter(name)(raw_value) == value, name
            if raw_value is None:
                assert value is None, name
            if name in TEXT:
                assert raw_value == value and type(raw_value) is type(value), name
    assert type(raw.rows[0][names.index("tlp")]) is str  # raw indeed: not yet a Tlp
    nulls = {name for name, value in zip(names, typed.rows[0], strict=True) if value is None}
    assert {"origin", "outbound_text", "iep_policy", "source_token_id"} <= nulls
    assert typed.rows[1].outbound_text == "" and typed.rows[2].iep_policy is None
    assert typed.rows[0].expires_at is not None
    last = read_raw_page(session, columns, collection.id, access, filters, 10)
    assert last.converters.typed(last.rows[-1]).pk == with_policy
    assert last.converters.typed(last.rows[-1]).iep_policy == policy
