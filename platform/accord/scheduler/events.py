"""What the scheduler tells its operator: each job it runs (id, outcome, when it finished),
through an APScheduler event listener, so ``accord scheduler`` says more than "waiting"."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)

log = logging.getLogger("accord.scheduler")

JOB_EVENTS = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
QUIET_JOBS = frozenset({"accord.wake", "accord.envelopes", "accord.retention"})
"""Housekeeping polls that run every few seconds: logged at DEBUG only."""


class JobLog:
    """An APScheduler listener: one log line per finished job with its outcome and how long
    after its due time it finished (its run time, for a job started on time).

    APScheduler 3 announces a submission after handing the job to a thread, so a short job can
    finish before its "submitted" event: the due time is the one reliable start mark.
    """

    def __call__(self, event: JobEvent) -> None:
        if not isinstance(event, JobExecutionEvent):
            return
        due = event.scheduled_run_time
        took = f"{max((datetime.now(UTC) - due).total_seconds(), 0.0):.2f} s after it was due"
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run time %s", event.job_id, due.isoformat())
        elif event.exception is not None:
            log.error("job %s failed, %s: %s: %s", event.job_id, took,
                      type(event.exception).__name__, event.exception)
        else:
            level = logging.DEBUG if event.job_id in QUIET_JOBS else logging.INFO
            log.log(level, "job %s ran, finished %s", event.job_id, took)
