"""The demo's sharing agreement (issue 17): purpose, legal basis, retention and default policy;
a collection under it with Baltic CERT's grant and three indicators that carry its policy and
expire with its retention period; Andes CERT, not a party, cannot reach it."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import authz
from accord.assembly.demo import seed_demo
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.oversight.demo import ALIAS, TITLE
from accord.services import agreements


def test_demo_has_one_agreement_with_a_collection_grant_and_objects(app: Flask,
                                                                    session: Session) -> None:
    seed_demo(app)
    agreement = agreements.get_agreement(session, TITLE)
    assert agreement.purpose and agreement.legal_basis and agreement.retention_days == 90
    assert agreement.default_policy is not None
    assert agreement.default_policy["permitted_actions"] == "internally-visible-actions"
    assert [t.name for t in agreement.parties] == ["Baltic CERT"]
    assert agreements.status(agreement) == "active"
    collection = session.scalar(select(Collection).where(Collection.alias == ALIAS))
    assert collection is not None and collection.agreement_id == agreement.id
    teams = {t.name: t.id for t in session.scalars(select(Team))}
    assert authz.grant_for(session, teams["Baltic CERT"], collection.id) is not None
    assert authz.grant_for(session, teams["Andes CERT"], collection.id) is None
    rows = list(session.scalars(select(StixObject).where(
        StixObject.collection_id == collection.id)))
    assert len(rows) == 3
    for row in rows:
        assert row.iep_policy is not None
        assert row.iep_policy["permitted_actions"] == "internally-visible-actions"
        assert row.expires_at == row.date_added + timedelta(days=90)
