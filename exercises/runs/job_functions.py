"""Scheduler job functions for exercises (run by ``accord scheduler``).

Each job opens its own session through :func:`accord.db.job_session` and checks the database
before acting, so a job that fires against stale state (a paused run, an inject already
released by hand, a due time moved by a pause) does nothing. A job due while the scheduler was
down still runs when it comes back (``misfire_grace_time=None``); the inject's release time then
shows the delay against its due time.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import database, job_session, utcnow
from accord.errors import Conflict
from accord.scheduler.jobs import job_app
from exercises.judging import evaluation
from exercises.models import Exercise, ExerciseInject, ExerciseState, InjectState
from exercises.runs import control, delivery, job_sync, triggers, webhooks
from exercises.runs.planning import inject_spec

log = logging.getLogger("accord.exercises")
EARLY_TOLERANCE = timedelta(seconds=1)
# An inject this far past its due time with no release is recovered by the worker's sweep
# (its own job was used up by a failed or crashed release); the job normally wins by far.
RECOVERY_GRACE = timedelta(seconds=15)


def _release(session: Session, exercise: Exercise, inject: ExerciseInject) -> None:
    """Release on schedule; another job or a coordinator releasing it first is fine."""
    try:
        delivery.release(session, exercise, inject, "schedule")
    except Conflict:
        return
    log.info("exercise %s: inject %s released", exercise.name, inject.key)


def start_exercise(exercise_id: str) -> None:
    """STARTEX at the scheduled start time."""
    app = job_app()
    with job_session(app) as session:
        exercise = session.get(Exercise, uuid.UUID(exercise_id))
        if exercise is None or exercise.state != ExerciseState.SCHEDULED:
            return
        delivery.begin(exercise, utcnow())
        log.info("exercise %s started", exercise.name)


def fire_inject(exercise_id: str, inject_key: str) -> None:
    """Release one inject if it is still pending, not held, and due."""
    app = job_app()
    with job_session(app) as session:
        exercise = session.get(Exercise, uuid.UUID(exercise_id))
        if exercise is None or exercise.state not in job_sync.ACTIVE:
            return
        inject = next((i for i in exercise.injects if i.key == inject_key), None)
        if inject is None or inject.state != InjectState.PENDING or inject.held:
            return
        if inject_spec(exercise, inject.key).get("release_on"):
            evaluation.evaluate(session, exercise)  # the condition is judged on fresh verdicts
        due = triggers.release_time(session, exercise, inject)
        if due is None or due > utcnow() + EARLY_TOLERANCE:  # moved, or condition not held
            return
        _release(session, exercise, inject)
    job_sync.sync_jobs(app, exercise_id)  # verdicts may now trigger conditional injects


def watch_conditions(exercise_id: str) -> None:
    """Re-evaluate a run whose conditional injects wait on STIX evidence, then re-sync."""
    app = job_app()
    with job_session(app) as session:
        exercise = session.get(Exercise, uuid.UUID(exercise_id))
        if exercise is None or exercise.state != ExerciseState.RUNNING:
            return
        evaluation.evaluate(session, exercise)
    job_sync.sync_jobs(app, exercise_id)


def close_exercise(exercise_id: str) -> None:
    """ENDEX at the end of play: remaining injects are cancelled, verdicts become final."""
    app = job_app()
    with job_session(app) as session:
        exercise = session.get(Exercise, uuid.UUID(exercise_id))
        if exercise is None or exercise.state != ExerciseState.RUNNING:
            return
        now = utcnow()
        if exercise.end_at > now + EARLY_TOLERANCE:
            return
        # After a scheduler outage every overdue job fires at once: release what was due
        # first, in order, so ENDEX never cancels an inject that should have gone out.
        evaluation.evaluate(session, exercise)
        for inject in exercise.injects:
            due = triggers.release_time(session, exercise, inject)
            if (inject.state == InjectState.PENDING and not inject.held and due is not None
                    and due <= now):
                _release(session, exercise, inject)
        control.complete(session, exercise)
        log.info("exercise %s completed", exercise.name)


def recover_overdue(session: Session, grace: timedelta = RECOVERY_GRACE) -> list[str]:
    """Release every due, unreleased, unheld inject of a live run whose job never did it.

    The second line of defence after the leader's re-sync (``job_sync.resync_active``): a
    release that failed with an error (not a crash) used up its one-shot job without a change
    of leader. Returns ``EXERCISE/INJECT`` of what it released.
    """
    now = utcnow()
    released: list[str] = []
    overdue = session.scalars(
        select(ExerciseInject).join(Exercise)
        .where(Exercise.state.in_(job_sync.ACTIVE), ExerciseInject.state == InjectState.PENDING,
               ExerciseInject.held.is_(False), ExerciseInject.due_at <= now - grace)
        .order_by(ExerciseInject.due_at))
    for inject in list(overdue):
        _release(session, inject.exercise, inject)
        released.append(f"{inject.exercise.name}/{inject.key}")
    return released


def run_worker() -> None:
    """The exercises worker, every few seconds: recover lost releases, then send webhooks."""
    app = job_app()
    with job_session(app) as session:
        for name in recover_overdue(session):
            log.warning("exercise inject %s recovered: its scheduled release never happened",
                        name)
    webhooks.deliver_due(database(app).sessionmaker)
