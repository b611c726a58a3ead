"""The TLP read policy in SQL agrees with :func:`accord.tlp.may_read` (ARCHITECTURE rule 3).

TAXII reads filter in the database with :func:`accord.sharing.visibility.visible_clause`; this
stores one object per (TLP level, source team) and asks the database, for every kind of
reader, which of them it may see, then compares with ``may_read`` row by row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.sharing.ingest import Author, add_objects
from accord.sharing.visibility import visible_clause
from accord.tlp import ReadAccess, Tlp, may_read
from tests.factories import make_collection, make_team
from tests.taxii.conftest import indicator

LEVELS = list(Tlp)
READER_KINDS = [(team, max_tlp, service) for team in ("source", "partner", "bystander")
                for max_tlp in LEVELS for service in (False, True)]


@dataclass
class Stored:
    collection: Collection
    teams: dict[str, uuid.UUID]


@pytest.fixture
def stored(session: Session) -> Stored:
    """Every TLP level shared once by ``source`` and once by ``partner``, plus one unmarked."""
    teams = {name: make_team(session, f"CERT-{name}")
             for name in ("source", "partner", "bystander")}
    collection = make_collection(session, teams["source"], "Visibility", allows_red=True)
    for name in ("source", "partner"):
        objects = [indicator(f"192.0.2.{n}", tlp=level) for n, level in enumerate(LEVELS, 1)]
        objects.append(indicator("192.0.2.99"))  # unmarked: the collection default, AMBER
        result = add_objects(session, collection, objects, Author(teams[name].id))
        assert result.failures == []
    session.commit()
    return Stored(collection, {name: team.id for name, team in teams.items()})


@pytest.mark.parametrize(("team", "max_tlp", "service"), READER_KINDS,
                         ids=[f"{t}-{m.value}-{'service' if s else 'person'}"
                              for t, m, s in READER_KINDS])
def test_visible_clause_agrees_with_may_read(session: Session, stored: Stored, team: str,
                                             max_tlp: Tlp, service: bool) -> None:
    access = ReadAccess(team_id=stored.teams[team], max_tlp=max_tlp, is_service=service)
    rows = session.execute(select(StixObject.pk, StixObject.tlp, StixObject.source_team_id)
                           .where(StixObject.collection_id == stored.collection.id)).all()
    assert {tlp for _, tlp, _ in rows} == set(LEVELS)
    assert len(rows) == 2 * (len(LEVELS) + 1)
    in_sql = set(session.scalars(select(StixObject.pk).where(
        StixObject.collection_id == stored.collection.id, visible_clause(access))))
    by_rule = {pk for pk, tlp, source in rows if may_read(access, tlp, source)}
    assert in_sql == by_rule


@pytest.mark.parametrize("level", LEVELS, ids=[level.value for level in LEVELS])
def test_may_read_follows_the_policy_text(level: Tlp) -> None:
    """Source always (services: not RED); others up to max_tlp; RED never to services, nor
    another team's AMBER+STRICT (automation would re-serve it)."""
    own, other = uuid.uuid4(), uuid.uuid4()
    order = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
    for max_tlp in LEVELS:
        reaches = order.index(level) <= order.index(max_tlp)
        person = ReadAccess(team_id=own, max_tlp=max_tlp)
        service = ReadAccess(team_id=own, max_tlp=max_tlp, is_service=True)
        assert may_read(person, level, own) is True
        assert may_read(service, level, own) is (level != Tlp.RED)
        assert may_read(person, level, other) is reaches
        assert may_read(service, level, other) is (
            reaches and level not in (Tlp.RED, Tlp.AMBER_STRICT))
