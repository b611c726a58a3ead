"""Managing scheduled jobs in the shared job store, from any process.

APScheduler 3 keeps jobs in the ``scheduler_jobs`` table. A web worker or CLI command edits
them through a *paused* scheduler bound to that table, so nothing runs in that process; the
running scheduler notices changes at its next wake-up (at most ``WAKE_SECONDS`` later).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from flask import Flask

from accord.db import database

log = logging.getLogger("accord.scheduler")

JOBSTORE_TABLE = "scheduler_jobs"
WAKE_SECONDS = 5
# After the job store failed (the database briefly unreachable, or locked by another writer),
# the scheduler looks again this many seconds later instead of letting its thread die.
STORE_RETRY_SECONDS = 5.0
# Jobs that talk to partners (feeds) run in their own thread pool, so partners that hang can
# never hold the threads exercise injects are released by.
PARTNER_EXECUTOR = "partners"
STOP_EVENT_KEY = "accord.scheduler.stopping"

JOB_DEFAULTS = {
    # A late job still runs once (e.g. an inject due while the scheduler was down), and the
    # same job never runs twice at once (a feed run never overlaps its previous run).
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": None,
}


class _JobAppHolder:
    """The app whose jobs this process runs. Set by the runner; read by job functions.

    APScheduler calls job functions with only their stored arguments, so the scheduler
    process needs one place that says which hub (configuration, engine) they act on.
    """

    app: Flask | None = None


_holder = _JobAppHolder()


def bind_job_app(app: Flask | None) -> None:
    """Make ``app`` the one job functions in this process act on (None to unbind)."""
    _holder.app = app


def job_app() -> Flask:
    """The app a job function should use; raises if no scheduler bound one."""
    if _holder.app is None:
        raise RuntimeError("no Accord app is bound for scheduled jobs in this process")
    return _holder.app


def stop_event(app: Flask) -> threading.Event:
    """Set while this process's scheduler shuts down: long jobs poll it and stop early.

    A process without a running scheduler gets an event that is never set.
    """
    event = app.extensions.get(STOP_EVENT_KEY)
    return event if isinstance(event, threading.Event) else threading.Event()


def bind_stop_event(app: Flask, event: threading.Event | None) -> None:
    """Make ``event`` the one :func:`stop_event` gives jobs of ``app`` (None to unbind)."""
    if event is None:
        app.extensions.pop(STOP_EVENT_KEY, None)
    else:
        app.extensions[STOP_EVENT_KEY] = event


class HubJobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # APScheduler ships no types
    """The shared job store, tolerant of jobs edited away while the scheduler handles them.

    Any process may re-sync jobs at any time, and a job function may itself re-sync its own
    run (an inject release that unlocks conditional injects): the scheduler then finds the job
    it just submitted already removed or replaced when it goes to remove or reschedule it.
    That is not an error (the database is the truth); APScheduler would otherwise let
    ``JobLookupError`` kill its thread.
    """

    def remove_job(self, job_id: str) -> None:
        try:
            super().remove_job(job_id)
        except JobLookupError:
            return

    def update_job(self, job: Job) -> None:
        try:
            super().update_job(job)
        except JobLookupError:
            return


class HubScheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler ships no types
    """The leader's scheduler: a failing job store delays its jobs, never stops them for good.

    APScheduler 3 survives a failed read of due jobs, but an error while it reschedules or
    removes a job it just submitted (the database briefly locked or unreachable) escapes its
    loop and ends its thread, and the hub would run no job again while still holding the
    lease. Here the loop logs the error and looks again a few seconds later; a job whose new
    run time could not be stored is then found due again and runs once more, which every Accord
    job tolerates (feed runs are incremental and locked, releases are idempotent).
    """

    def _process_jobs(self) -> float | None:
        try:
            wait: float | None = super()._process_jobs()
        except Exception as exc:  # any failure of the store: retry, never end the thread
            cause = str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__]
            log.error("the scheduler could not update its job store (%s); retrying in %g s",
                      cause[0][:300], STORE_RETRY_SECONDS)
            return STORE_RETRY_SECONDS
        return wait


def make_scheduler(app: Flask, *, running: bool = False) -> BackgroundScheduler:
    """A scheduler whose default job store is the hub database.

    Two thread pools: ``default`` (exercise injects and other hub jobs) and
    :data:`PARTNER_EXECUTOR` (jobs that wait on partners), sized by ``SCHEDULER_THREADS``
    and ``SCHEDULER_PARTNER_THREADS``.
    """
    kind = HubJobStore if running else SQLAlchemyJobStore  # the leader's runs tolerate edits
    store = kind(engine=database(app).engine, tablename=JOBSTORE_TABLE)
    scheduler_class = HubScheduler if running else BackgroundScheduler
    return scheduler_class(
        jobstores={"default": store},
        executors={
            "default": ThreadPoolExecutor(int(app.config.get("SCHEDULER_THREADS", 10))),
            PARTNER_EXECUTOR: ThreadPoolExecutor(
                int(app.config.get("SCHEDULER_PARTNER_THREADS", 8))),
        },
        job_defaults=JOB_DEFAULTS,
        timezone=app.config.get("SCHEDULER_TIMEZONE", "UTC"),
    )


@contextmanager
def job_store(app: Flask) -> Iterator[BackgroundScheduler]:
    """A paused scheduler on the shared job store, for editing jobs without running them."""
    scheduler = make_scheduler(app)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        # Detach the store first: shutting a SQLAlchemyJobStore down disposes the engine it was
        # given (the hub's own pool, orphaning connections other threads hold), and a
        # BackgroundScheduler processes due jobs once more while it shuts down, which would
        # submit a job due now to this editing process's (stopped) executors.
        scheduler.remove_jobstore("default", shutdown=False)
        scheduler.shutdown(wait=False)


def schedule(
    app: Flask,
    job_id: str,
    func: str,
    trigger: BaseTrigger | str,
    *,
    args: tuple[Any, ...] | list[Any] = (),
    **trigger_args: Any,
) -> datetime | None:
    """Create or replace job ``job_id``; returns its next run time."""
    with job_store(app) as scheduler:
        job = scheduler.add_job(func, trigger, args=list(args), id=job_id, name=job_id,
                                replace_existing=True, **trigger_args)
        next_run: datetime | None = getattr(job, "next_run_time", None)
        if next_run is None:  # added while paused: compute from the trigger
            stored = scheduler.get_job(job_id)
            next_run = stored.next_run_time if stored else None
        return next_run


def unschedule(app: Flask, job_id: str) -> bool:
    """Remove ``job_id``; False if there was no such job."""
    with job_store(app) as scheduler:
        try:
            scheduler.remove_job(job_id)
        except JobLookupError:
            return False
        return True


def find_job(app: Flask, job_id: str) -> Job | None:
    """The stored job ``job_id``, if any."""
    with job_store(app) as scheduler:
        job: Job | None = scheduler.get_job(job_id)
        return job


def list_jobs(app: Flask, prefix: str = "") -> list[Job]:
    """Stored jobs whose id starts with ``prefix``."""
    with job_store(app) as scheduler:
        return [job for job in scheduler.get_jobs() if job.id.startswith(prefix)]
