"""The ``exercises:worker`` job never waits on a partner's webhook with a database write
uncommitted (on SQLite that would stall every other writer of the hub; on PostgreSQL it holds
row locks idle in transaction), nor, on PostgreSQL, with any transaction open: the receivers
probe the database while they handle each request, first attempts and retries alike."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from exercises.models import ExerciseDelivery
from exercises.runs import control, job_functions
from tests.dbprobe import transaction_open, write_lock_held
from tests.exercises.conftest import World, schedule
from tests.exercises.webhook_receiver import receiver


def test_the_worker_sends_webhooks_with_no_write_pending(
        bound_app: Flask, session: Session, world: World, clock: ManualClock) -> None:
    def probe() -> tuple[bool, bool]:
        return write_lock_held(bound_app), transaction_open(bound_app)

    with receiver(500, during=probe) as flaky, receiver(during=probe) as fine:
        run = schedule(session, world, webhooks={"north": flaky.url, "south": fine.url})
        inject = next(i for i in run.injects if i.key == "INJ-04")  # channels: inbox, webhook
        control.release_now(session, run, inject)
        session.commit()
        job_functions.run_worker()  # the scheduled job: one 500, one accepted
        clock.advance(minutes=5)
        job_functions.run_worker()  # the retry
    session.expire_all()
    rows = session.scalars(select(ExerciseDelivery).where(ExerciseDelivery.channel == "webhook"))
    assert sorted((r.status, r.attempts) for r in rows) == [("delivered", 1), ("delivered", 2)]
    assert len(flaky.requests) == 2 and len(fine.requests) == 1
    assert flaky.observed + fine.observed == [(False, False)] * 3
