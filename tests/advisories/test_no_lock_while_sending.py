"""The ``advisories:deliver`` job never waits on a mail server or a webhook receiver with a
database write uncommitted (on SQLite that would stall every other writer of the hub; on
PostgreSQL it holds row locks idle in transaction), nor, on PostgreSQL, with any transaction
open: the receivers probe the database while they handle each message. A crash mid-send
leaves the notice queued for a retry with the same key, never lost."""

from __future__ import annotations

from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.scheduler.jobs import bind_job_app
from advisories import deadlines, notices
from advisories.contacts import set_reach
from advisories.models import AdvisoryNotice
from tests.advisories.conftest import Centre, Sink
from tests.dbprobe import transaction_open, write_lock_held
from tests.exercises.webhook_receiver import receiver

TEAMS = ("Ministry of Finance", "Ministry of Health")
CLEAN = (False, False)  # no write pending, no transaction open (PostgreSQL)


@pytest.fixture
def bound(app: Flask) -> Iterator[Flask]:
    """The app bound for job functions, as the scheduler process binds it."""
    bind_job_app(app)
    try:
        yield app
    finally:
        bind_job_app(None)


def _issue(centre: Centre) -> None:
    response = centre.call("coordinator", "POST", "", json={
        "title": "Patch the VPN gateways now", "severity": "critical", "tlp": "clear",
        "body": "CVE-2026-0001 is exploited.", "recipients": {"teams": list(TEAMS)}})
    assert response.status_code == 201, response.json


def _notices(session: Session) -> list[AdvisoryNotice]:
    session.expire_all()
    found = list(session.scalars(select(AdvisoryNotice).order_by(AdvisoryNotice.address)))
    session.commit()  # the test's own read ends here: the probe must see only the job's
    return found


def test_email_is_sent_with_no_write_pending(
        bound: Flask, centre: Centre, session: Session, clock: ManualClock, smtp: Sink) -> None:
    smtp.during = lambda: (write_lock_held(bound), transaction_open(bound))
    _issue(centre)
    deadlines.deliver()  # the scheduled job
    assert len(smtp.messages) == len(TEAMS)
    assert smtp.observed == [CLEAN] * len(TEAMS)
    assert {(n.state, n.attempts) for n in _notices(session)} == {("sent", 1)}


def test_webhooks_are_sent_and_retried_with_no_write_pending(
        bound: Flask, centre: Centre, session: Session, clock: ManualClock) -> None:
    with receiver(500, during=lambda: (write_lock_held(bound), transaction_open(bound))
                  ) as hook:
        for name in TEAMS:
            set_reach(session, centre.teams[name].id, email="", webhook_url=hook.url)
        session.commit()
        _issue(centre)
        deadlines.deliver()  # one answered 500, the other accepted
        assert [(n.state, n.attempts) for n in _notices(session)].count(("queued", 1)) == 1
        clock.advance(minutes=5)
        deadlines.deliver()  # the retry
    assert {(n.state, n.attempts) for n in _notices(session)} == {("sent", 1), ("sent", 2)}
    assert len(hook.requests) == 3 and len(hook.accepted) == len(TEAMS)
    assert hook.observed == [CLEAN] * 3


class Died(BaseException):
    """The process ends in the middle of a send (nothing after it runs)."""


def test_a_crash_mid_send_leaves_the_notice_claimed_for_a_retry(
        app: Flask, centre: Centre, session: Session, clock: ManualClock, smtp: Sink,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _issue(centre)

    def dies(*args: Any, **kwargs: Any) -> Any:
        raise Died

    monkeypatch.setattr("smtplib.SMTP", dies)
    with pytest.raises(Died):
        notices.deliver_due(app)
    # The first was claimed (durably, before the send); the second was never reached.
    assert sorted((n.state, n.attempts) for n in _notices(session)) == [
        ("queued", 0), ("queued", 1)]
    monkeypatch.undo()  # the process restarts
    assert notices.deliver_due(app) == 1  # the claimed one waits for its backoff ...
    clock.advance(minutes=5)
    assert notices.deliver_due(app) == 1  # ... then is retried, with the same key
    assert {(n.state, n.attempts) for n in _notices(session)} == {("sent", 2), ("sent", 1)}
    keys = sorted(str(make_header(decode_header(m["X-Accord-Notice"]))) for m in smtp.messages)
    assert keys == sorted(n.key for n in _notices(session))  # each sent once, with its key
