"""A scheduler that dies in the middle of an escalation: the half-done work is not kept (no
team stamped without its notice, no notice without its stamp), and the next leader re-creates
the used-up job and escalates every late team exactly once, however often the job then runs.

Two deaths are rehearsed on the real job function (``advisories.deadlines:check``, as the job
store holds it): an exception between two teams (the job's session rolls back), and a process
that dies after writing everything but before committing (the connection is dropped, as the
database sees a dead process, without a rollback from the client)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import database
from accord.scheduler.jobs import bind_job_app, find_job, unschedule
from advisories import deadlines, notices
from advisories.feature import start_on_lead
from advisories.models import Advisory, AdvisoryNotice, AdvisoryRecipient
from tests.advisories.conftest import Centre, Sink

ESCALATED = sorted(["ciso1@gov.example", "ciso2@gov.example", "ciso3@gov.example",
                    "duty@national-cert.example"])


class SchedulerDied(BaseException):
    """The process ends here (a BaseException, as SystemExit or a kill would not be caught)."""


def _late_advisory(centre: Centre, session: Session, clock: ManualClock) -> Advisory:
    """An advisory whose acknowledgement escalation is due; one of four teams acknowledged."""
    issued = centre.call("coordinator", "POST", "", json={
        "title": "Block the C2 domains", "severity": "high", "tlp": "green",
        "recipients": {"groups": ["Ministries"], "teams": ["Province North"]},
        "acknowledge_within": "PT1H"})
    assert issued.status_code == 201, issued.json
    ref = issued.json["ref"]
    assert centre.call("Ministry of Finance", "POST", f"/{ref}/acknowledge").status_code == 200
    advisory = session.scalar(select(Advisory).where(Advisory.ref == ref))
    assert advisory is not None
    clock.advance(timedelta(hours=2, minutes=1))  # past the deadline plus the escalation delay
    return advisory


def _escalations(session: Session, advisory: Advisory) -> tuple[list[str], int]:
    """Escalation notices' addresses, and how many recipient rows are stamped escalated."""
    session.expire_all()
    addresses = sorted(session.scalars(select(AdvisoryNotice.address).where(
        AdvisoryNotice.advisory_id == advisory.id, AdvisoryNotice.kind.like("escalat%"))))
    stamped = len(session.scalars(select(AdvisoryRecipient.id).where(
        AdvisoryRecipient.advisory_id == advisory.id,
        AdvisoryRecipient.ack_escalated_at.is_not(None))).all())
    return addresses, stamped


def _next_leader_runs_the_job(app: Flask, job_id: str, times: int) -> None:
    """The crashed run had used the one-shot job up; the next leader's ``on_lead`` re-creates
    it from the database, and its executor calls the stored reference (``times`` over)."""
    unschedule(app, job_id)
    start_on_lead(app)
    job = find_job(app, job_id)
    assert job is not None, "the new leader did not bring the escalation job back"
    for _ in range(times):
        job.func(*job.args)


@pytest.mark.parametrize("death", ["exception between teams", "killed before commit"])
def test_a_crash_during_escalation_loses_nothing_and_sends_nothing_twice(
        app: Flask, centre: Centre, session: Session, clock: ManualClock, smtp: Sink,
        monkeypatch: pytest.MonkeyPatch, death: str) -> None:
    advisory = _late_advisory(centre, session, clock)
    job_id = f"advisory:{advisory.id}:ack:escalate"
    assert deadlines.moments(advisory)[job_id] <= clock.now()
    queued_before = notices.deliver_due(app)  # the issue notices leave first
    assert queued_before == 4
    bind_job_app(app)
    try:
        if death == "exception between teams":
            original, calls = notices.queue, Counter[str]()

            def dies_on_the_second_team(*args: Any, **kwargs: Any) -> bool:
                calls["queue"] += 1
                if calls["queue"] == 2:
                    raise SchedulerDied
                return original(*args, **kwargs)

            monkeypatch.setattr(notices, "queue", dies_on_the_second_team)
            with pytest.raises(SchedulerDied):
                deadlines.check(str(advisory.id), "ack", "escalate")
            monkeypatch.setattr(notices, "queue", original)
            assert calls["queue"] == 2  # one team was stamped and queued when it died
        else:
            dying = database(app).sessionmaker()
            found = dying.get(Advisory, uuid.UUID(str(advisory.id)))
            assert found is not None
            assert deadlines.act(dying, found, "ack", "escalate", clock.now()) == 3
            dying.flush()  # everything written, nothing committed
            dying.connection().invalidate()  # the process is gone: no rollback is sent
            dying.close()
        assert _escalations(session, advisory) == ([], 0)  # nothing half-written survives

        _next_leader_runs_the_job(app, job_id, times=2)  # and a duplicate fire after it
    finally:
        bind_job_app(None)

    assert _escalations(session, advisory) == (ESCALATED, 3)
    assert notices.deliver_due(app) == 4
    clock.advance(timedelta(hours=1))
    assert notices.deliver_due(app) == 0
    sent = Counter(m["To"] for m in smtp.messages if "escalat" in m["Subject"])
    assert sorted(sent) == ESCALATED and set(sent.values()) == {1}  # each exactly once
