"""Keeping the scheduler's jobs in step with the database.

The database is the truth about an exercise (state, due times, holds); :func:`sync_jobs` makes
the shared APScheduler job store match it: a start job, one job per inject still to release
and an end job. Services change rows and commit; callers then sync. A job that fires against
stale state does nothing (see :mod:`exercises.runs.job_functions`), so the order never matters.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, object_session

from accord.db import database
from accord.scheduler.jobs import JOB_DEFAULTS, JOBSTORE_TABLE
from exercises.models import Exercise, ExerciseState, InjectState
from exercises.runs import triggers

ACTIVE = (ExerciseState.SCHEDULED, ExerciseState.RUNNING)
JOBS = "exercises.runs.job_functions"  # the module APScheduler imports the job functions from
WORKER_JOB = "exercises:worker"
WORKER_SECONDS = 5


def job_prefix(exercise_id: uuid.UUID | str) -> str:
    return f"exercise:{exercise_id}:"


def desired_jobs(exercise: Exercise) -> dict[str, tuple[str, list[str], datetime]]:
    """Job id -> (function, args, run time) for what should be scheduled now.

    A conditional inject gets its job once its condition has a time (derived from the
    expectations in the database, :mod:`exercises.runs.triggers`); while one waits on
    evidence that only an evaluation finds (a STIX write), a ``watch`` job re-evaluates.
    """
    prefix = job_prefix(exercise.id)
    ident = str(exercise.id)
    wanted: dict[str, tuple[str, list[str], datetime]] = {}
    if exercise.state == ExerciseState.SCHEDULED:
        wanted[prefix + "start"] = (f"{JOBS}:start_exercise", [ident], exercise.start_at)
    if exercise.state in ACTIVE:
        session = object_session(exercise)
        assert session is not None
        for inject in exercise.injects:
            if inject.state == InjectState.PENDING and not inject.held:
                due = triggers.release_time(session, exercise, inject)
                if due is not None:
                    wanted[prefix + "inject:" + inject.key] = (
                        f"{JOBS}:fire_inject", [ident, inject.key], due)
        if (exercise.state == ExerciseState.RUNNING
                and triggers.waiting_on_evidence(session, exercise)):
            wanted[prefix + "watch"] = (f"{JOBS}:watch_conditions", [ident],
                                        triggers.next_watch())
        wanted[prefix + "end"] = (f"{JOBS}:close_exercise", [ident], exercise.end_at)
    return wanted


@contextmanager
def job_store(engine: Engine) -> Iterator[BackgroundScheduler]:
    """A paused scheduler on the hub's job store (same settings as accord.scheduler.jobs)."""
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        job_defaults=JOB_DEFAULTS, timezone="UTC")
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        # Detach the store first: a BackgroundScheduler processes due jobs once more while it
        # shuts down, which would run (or drop) an overdue job from this editing process.
        scheduler.remove_jobstore("default", shutdown=False)
        scheduler.shutdown(wait=False)


def sync_jobs(app: Flask, exercise_id: uuid.UUID | str) -> dict[str, datetime]:
    """Make the job store match the exercise; returns the scheduled job ids and run times."""
    return sync_engine_jobs(database(app).engine, exercise_id)


def sync_engine_jobs(engine: Engine, exercise_id: uuid.UUID | str) -> dict[str, datetime]:
    """:func:`sync_jobs` given the hub's engine (for callers that hold no app)."""
    with Session(engine) as session:
        exercise = session.get(Exercise, uuid.UUID(str(exercise_id)))
        wanted = desired_jobs(exercise) if exercise is not None else {}
    prefix = job_prefix(exercise_id)
    result: dict[str, datetime] = {}
    with job_store(engine) as scheduler:
        for job in scheduler.get_jobs():
            if job.id.startswith(prefix) and job.id not in wanted:
                scheduler.remove_job(job.id)
        for job_id, (func, args, run_at) in wanted.items():
            existing = scheduler.get_job(job_id)
            if existing is not None and existing.next_run_time == run_at:
                result[job_id] = run_at
                continue
            scheduler.add_job(func, "date", run_date=run_at, args=args, id=job_id, name=job_id,
                              replace_existing=True)
            result[job_id] = run_at
    return result


def resync_active(app: Flask) -> None:
    """Bring every unfinished run's jobs back in step (a new leader's first step).

    A release rolled back by a crash has used up its one-shot job; an upgrade may have renamed
    job functions. Re-syncing from the database recreates what is missing, and a job whose
    time has passed runs at once (``misfire_grace_time=None``).
    """
    engine = database(app).engine
    with Session(engine) as session:
        ids = list(session.scalars(
            select(Exercise.id).where(Exercise.state.in_((*ACTIVE, ExerciseState.PAUSED)))))
    for exercise_id in ids:
        sync_engine_jobs(engine, exercise_id)


def ensure_worker(app: Flask) -> None:
    """Keep the exercises worker job (lost-release sweep, webhook outbox) in the job store."""
    with job_store(database(app).engine) as scheduler:
        scheduler.add_job(f"{JOBS}:run_worker", "interval", seconds=WORKER_SECONDS,
                          id=WORKER_JOB, name=WORKER_JOB, replace_existing=True)


def scheduled_jobs(app: Flask, exercise_id: uuid.UUID | str) -> dict[str, datetime | None]:
    """What the job store holds for an exercise (for status displays and tests)."""
    prefix = job_prefix(exercise_id)
    with job_store(database(app).engine) as scheduler:
        return {job.id: job.next_run_time for job in scheduler.get_jobs()
                if job.id.startswith(prefix)}
