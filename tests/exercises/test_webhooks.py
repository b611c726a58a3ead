"""Inject webhooks from the outbox: Release now returns at once, slow and failing receivers
are retried with backoff (the clock moves, nothing sleeps), every attempt of one delivery
carries the same idempotency key, and a receiver that never answers is finally given up."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import database
from exercises.models import Exercise, ExerciseDelivery, ExerciseInject
from exercises.runs import control, webhooks
from tests.exercises.conftest import World, schedule
from tests.exercises.test_runner import wait_for
from tests.exercises.webhook_receiver import receiver

DEADLINE = 0.5  # seconds per attempt in these tests


def _webhook_rows(session: Session, inject: ExerciseInject) -> dict[str, ExerciseDelivery]:
    session.expire_all()
    rows = session.scalars(select(ExerciseDelivery).where(
        ExerciseDelivery.inject_id == inject.id, ExerciseDelivery.channel == "webhook"))
    return {row.detail["payload"]["team"]: row for row in rows}


def _release_inj04(session: Session, world: World, north: str, south: str
                   ) -> tuple[Exercise, ExerciseInject]:
    run = schedule(session, world, webhooks={"north": north, "south": south})
    inject = next(i for i in run.injects if i.key == "INJ-04")  # channels: inbox, webhook
    control.release_now(session, run, inject)
    session.commit()
    return run, inject


def test_release_now_returns_at_once_while_a_receiver_hangs(
        app: Flask, session: Session, world: World, clock: ManualClock) -> None:
    with receiver("hold") as hanging, receiver() as fine:
        began = time.monotonic()
        _, inject = _release_inj04(session, world, hanging.url, fine.url)
        assert time.monotonic() - began < 5  # no partner call inside the release
        assert hanging.requests == [] and fine.requests == []
        rows = _webhook_rows(session, inject)
        assert {r.status for r in rows.values()} == {"queued"}
        began = time.monotonic()
        counts = webhooks.deliver_due(database(app).sessionmaker, deadline=DEADLINE)
        assert time.monotonic() - began < DEADLINE + 3  # the hang costs one deadline, no more
        assert counts == {"delivered": 1, "retrying": 1, "failed": 0}
        assert hanging.holding.is_set()
        rows = _webhook_rows(session, inject)
        slow = rows["Baltic CERT"]
        assert slow.status == "queued" and slow.attempts == 1
        assert "Timeout" in slow.detail["error"] or "timed out" in slow.detail["error"]
        assert rows["Andes CERT"].status == "delivered"
        # Not due again before its backoff; due once the clock has moved past it.
        assert webhooks.deliver_due(database(app).sessionmaker, deadline=DEADLINE) == {
            "delivered": 0, "retrying": 0, "failed": 0}
        clock.advance(timedelta(seconds=DEADLINE) + webhooks.backoff(1) * 2)
        assert webhooks.deliver_due(database(app).sessionmaker, deadline=DEADLINE)[
            "delivered"] == 1
        hanging.let_go()
        keys = {key for key, _ in hanging.requests}
        assert len(hanging.requests) == 2 and keys == {str(slow.id)}  # same key on both
        assert _webhook_rows(session, inject)["Baltic CERT"].status == "delivered"


def test_failures_back_off_exponentially_then_deliver_once(
        app: Flask, session: Session, world: World, clock: ManualClock) -> None:
    with receiver(500, 503, 204) as flaky, receiver() as fine:
        _, inject = _release_inj04(session, world, flaky.url, fine.url)
        maker = database(app).sessionmaker
        waits = []
        for attempt in (1, 2):
            webhooks.deliver_due(maker, deadline=DEADLINE)
            row = _webhook_rows(session, inject)["Baltic CERT"]
            assert row.attempts == attempt and row.status == "queued"
            assert row.detail["http_status"] in (500, 503)
            assert row.next_attempt_at is not None
            waits.append(row.next_attempt_at)
            clock.advance(webhooks.backoff(attempt) - timedelta(seconds=1))
            assert webhooks.deliver_due(maker, deadline=DEADLINE)["delivered"] == 0
            clock.advance(seconds=2)
        webhooks.deliver_due(maker, deadline=DEADLINE)
        row = _webhook_rows(session, inject)["Baltic CERT"]
        assert row.status == "delivered" and row.attempts == 3
        assert webhooks.backoff(2) == 2 * webhooks.backoff(1)
        assert len(flaky.requests) == 3 and len(flaky.accepted) == 1
        assert len({key for key, _ in flaky.requests}) == 1
        assert flaky.requests[0][1] == flaky.requests[2][1]  # the same body on every attempt
        assert len(fine.accepted) == 1 and fine.duplicates == 0
        # Delivered rows are never sent again, however often the worker runs.
        clock.advance(hours=1)
        assert webhooks.deliver_due(maker, deadline=DEADLINE) == {
            "delivered": 0, "retrying": 0, "failed": 0}
        assert len(flaky.requests) == 3


def test_a_receiver_that_saw_a_timed_out_attempt_can_drop_the_retry(
        app: Flask, session: Session, world: World, clock: ManualClock) -> None:
    with receiver("hold", 204) as slow, receiver() as fine:
        _, inject = _release_inj04(session, world, slow.url, fine.url)
        maker = database(app).sessionmaker
        webhooks.deliver_due(maker, deadline=DEADLINE)  # times out while the receiver works
        slow.let_go()  # ... which then finishes and accepts the delivery
        assert wait_for(lambda: len(slow.accepted) == 1)
        clock.advance(minutes=5)
        webhooks.deliver_due(maker, deadline=DEADLINE)
        assert len(slow.requests) == 2
        assert len(slow.accepted) == 1 and slow.duplicates == 1  # deduplicated by its key
        assert _webhook_rows(session, inject)["Baltic CERT"].status == "delivered"


def test_an_unreachable_receiver_is_given_up_after_the_last_attempt(
        app: Flask, session: Session, world: World, clock: ManualClock) -> None:
    with receiver() as fine:
        _, inject = _release_inj04(session, world, "http://127.0.0.1:9/refused", fine.url)
        maker = database(app).sessionmaker
        for _ in range(webhooks.MAX_ATTEMPTS):
            webhooks.deliver_due(maker, deadline=DEADLINE)
            clock.advance(webhooks.MAX_RETRY + timedelta(seconds=DEADLINE + 1))
        row = _webhook_rows(session, inject)["Baltic CERT"]
        assert row.status == "failed" and row.attempts == webhooks.MAX_ATTEMPTS
        assert row.next_attempt_at is None
        assert webhooks.deliver_due(maker, deadline=DEADLINE)["retrying"] == 0
        assert len(fine.accepted) == 1
