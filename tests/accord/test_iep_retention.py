"""The retention audit job and the validity rule in SQL (issue 17, docs/sharing-rules.md
"IEP 2.0 policies"): one ``object.expired`` row per collection per run, never twice for a
version, with the clock moved past ``end_date`` and past an agreement's retention."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.agreements import Agreement
from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from accord.scheduler.jobs import bind_job_app
from accord.scheduler.runner import SchedulerRunner
from accord.sharing import retention
from accord.sharing.ingest import Author, add_objects
from accord.sharing.visibility import may_see, visible_clause
from accord.tlp import ReadAccess, Tlp
from tests.accord.iep_scene import iep_indicator, iep_marking, stamp
from tests.factories import make_collection, make_team
from tests.scheduler.test_scheduler import wait_for


def _expired_rows(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "object.expired").order_by(AuditEvent.id)))


def test_each_expiry_is_recorded_once_per_collection_with_its_reason(
        session: Session, clock: Any) -> None:
    team = make_team(session, "CERT-SOURCE")
    policed = make_collection(session, team, "Policed")
    kept = make_collection(session, team, "Kept 30 days")
    agreement = Agreement(title="Fight crime", purpose="fight crime", owner_team_id=team.id,
                          retention_days=30, starts_at=clock.now() - timedelta(days=1))
    session.add(agreement)
    session.flush()
    kept.agreement_id = agreement.id
    session.commit()
    end = clock.now() + timedelta(days=2)
    ending = [iep_indicator(f"198.51.100.{n}", marked=True) for n in (1, 2)]
    assert not add_objects(session, policed, [iep_marking(end_date=stamp(end)), *ending],
                           Author(team.id)).failures
    retained = iep_indicator("198.51.100.9", marked=False)
    assert not add_objects(session, kept, [retained], Author(team.id)).failures
    session.commit()

    assert retention.record_expired(session) == 0
    session.commit()
    clock.advance(days=2, seconds=1)
    assert retention.record_expired(session) == 2
    session.commit()
    [first] = _expired_rows(session)
    assert first.target_id == str(policed.id)
    assert first.details["count"] == 2 and first.details["reason"] == "end_date"
    assert sorted(first.details["stix_ids"]) == sorted(obj["id"] for obj in ending)
    assert first.details["collection_title"] == "Policed"

    assert retention.record_expired(session) == 0  # nothing twice
    session.commit()
    clock.advance(days=29)
    assert retention.record_expired(session) == 1
    session.commit()
    rows = _expired_rows(session)
    assert len(rows) == 2
    assert rows[1].target_id == str(kept.id)
    assert rows[1].details["reason"] == "retention"
    assert rows[1].details["stix_ids"] == [retained["id"]]


def test_ids_are_capped_and_the_count_stays_complete(
        session: Session, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "MAX_IDS", 2)
    team = make_team(session)
    collection = make_collection(session, team)
    end = clock.now() + timedelta(hours=1)
    objects = [iep_indicator(f"198.51.100.{n}", marked=True) for n in range(1, 6)]
    add_objects(session, collection, [iep_marking(end_date=stamp(end)), *objects],
                Author(team.id))
    session.commit()
    clock.advance(hours=2)
    retention.record_expired(session)
    session.commit()
    [row] = _expired_rows(session)
    assert row.details["count"] == 5 and len(row.details["stix_ids"]) == 2
    assert row.details["ids_truncated"] is True


def test_the_scheduler_job_records_and_commits(app: Flask, session: Session,
                                               clock: Any) -> None:
    team = make_team(session)
    collection = make_collection(session, team)
    add_objects(session, collection, [
        iep_marking(end_date=stamp(clock.now() + timedelta(minutes=5))),
        iep_indicator("198.51.100.77", marked=True)], Author(team.id))
    session.commit()
    clock.advance(minutes=10)
    bind_job_app(app)
    try:
        retention.retention_job()
    finally:
        bind_job_app(None)
    assert len(_expired_rows(session)) == 1
    assert session.scalar(select(StixObject.expiry_recorded).where(
        StixObject.stix_type == "indicator")) is True


@pytest.mark.parametrize("service", [False, True], ids=["person", "service"])
def test_validity_in_sql_agrees_with_may_see(session: Session, clock: Any,
                                             service: bool) -> None:
    source, partner = make_team(session), make_team(session)
    collection = make_collection(session, source)
    now = clock.now()
    for n, end in enumerate((None, now + timedelta(hours=1), now + timedelta(hours=3)), 1):
        objects = [iep_indicator(f"198.51.100.{n}", marked=end is not None)]
        if end is not None:
            objects.insert(0, {**iep_marking(end_date=stamp(end)),
                               "id": f"marking-definition--{uuid.uuid4()}"})
            objects[1]["object_marking_refs"] = [objects[0]["id"]]
        add_objects(session, collection, objects, Author(source.id))
    session.commit()
    clock.advance(hours=2)
    moment = clock.now()
    rows = session.execute(select(StixObject.pk, StixObject.tlp, StixObject.source_team_id,
                                  StixObject.contested, StixObject.expires_at)).all()
    assert any(row.expires_at and row.expires_at <= moment for row in rows)
    for team in (source, partner):
        access = ReadAccess(team_id=team.id, max_tlp=Tlp.AMBER, is_service=service)
        in_sql = set(session.scalars(select(StixObject.pk).where(
            visible_clause(access, now=moment))))
        by_rule = {row.pk for row in rows if may_see(access, row.tlp, row.source_team_id,
                                                     row.contested, row.expires_at, moment)}
        assert in_sql == by_rule
        assert len(in_sql) == len(rows) - (team is partner)


def test_only_the_scheduler_leader_runs_the_retention_audit(app: Flask) -> None:
    leader = SchedulerRunner(app, lease_seconds=1.5, holder="retention-leader")
    standby = SchedulerRunner(app, lease_seconds=1.5, holder="retention-standby")
    leader.start_in_thread()
    try:
        assert wait_for(lambda: leader.is_leader)
        assert leader.scheduler is not None
        job = leader.scheduler.get_job("accord.retention")
        assert job is not None and job.func is retention.retention_job
        assert standby.lease.acquire() is False and standby.scheduler is None
    finally:
        leader.stop()
