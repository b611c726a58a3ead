"""Reminders and escalations on the scheduler, derived from the database (crash-safe).

Each advisory has one job per deadline moment: the acknowledgement deadline (remind who has
not acknowledged), the same plus the escalation delay (escalate to the team's escalation
contact and the coordinator), and likewise for the status deadline. A job re-reads the rows
and acts only on what is still missing and not yet reminded or escalated, stamping the row in
the same transaction as the notices it queues, so a job that runs twice (or again after a
crash) sends nothing twice. A new scheduler leader re-syncs every open advisory's jobs.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import database, job_session, utcnow
from accord.scheduler.jobs import job_app, schedule, unschedule
from advisories import notices
from advisories.contacts import reach
from advisories.models import Advisory, AdvisoryRecipient, AdvisoryState

JOBS = "advisories.deadlines"
STEPS = ("ack", "status")


def escalate_after(advisory: Advisory, step: str) -> timedelta:
    """Escalation comes one more deadline-length after the reminder (at least 15 minutes)."""
    window = advisory.ack_within_seconds if step == "ack" else advisory.status_within_seconds
    return timedelta(seconds=max(window, 900))


def moments(advisory: Advisory) -> dict[str, datetime]:
    """Job id -> when it runs, for an open advisory."""
    found: dict[str, datetime] = {}
    for step in STEPS:
        window = advisory.ack_within_seconds if step == "ack" else advisory.status_within_seconds
        due = advisory.issued_at + timedelta(seconds=window)
        found[f"advisory:{advisory.id}:{step}:remind"] = due
        found[f"advisory:{advisory.id}:{step}:escalate"] = due + escalate_after(advisory, step)
    return found


def sync_jobs(app: Flask, advisory: Advisory) -> None:
    """Make the job store hold this advisory's jobs (none once it is closed)."""
    for job_id, run_at in moments(advisory).items():
        if advisory.state == AdvisoryState.ISSUED:
            step, action = job_id.split(":")[2:4]
            schedule(app, job_id, f"{JOBS}:check", "date", run_date=run_at,
                     args=(str(advisory.id), step, action))
        else:
            unschedule(app, job_id)


def resync_open(app: Flask) -> None:
    """A new leader's first step: every open advisory's jobs are back in the store."""
    with database(app).sessionmaker() as session:
        for advisory in session.scalars(select(Advisory).where(
                Advisory.state == AdvisoryState.ISSUED)):
            sync_jobs(app, advisory)


def missing(row: AdvisoryRecipient, step: str) -> bool:
    return row.acknowledged_at is None if step == "ack" else row.status_at is None


def act(session: Session, advisory: Advisory, step: str, action: str, now: datetime) -> int:
    """Remind or escalate every recipient still missing ``step``; returns how many. An
    escalation also tells the issuing team's coordinators once, naming every late team."""
    escalated: list[str] = []
    count = 0
    label = "acknowledgement" if step == "ack" else "status report"
    for row in advisory.recipients:
        stamp = f"{step}_{'reminded' if action == 'remind' else 'escalated'}_at"
        if not missing(row, step) or getattr(row, stamp) is not None:
            continue
        setattr(row, stamp, now)
        where = reach(session, row.team)
        key = f"{advisory.id}:{step}:{action}:{row.team_id}"
        if action == "remind":
            for channel, address in (("email", where.email), ("webhook", where.webhook_url)):
                notices.queue(session, advisory, row.team, f"reminder:{step}", channel,
                              address, f"{key}:{channel}", f"reminder: {label} overdue")
        else:
            notices.queue(session, advisory, row.team, f"escalation:{step}", "email",
                          where.escalation_email, f"{key}:escalation",
                          f"escalation: {row.team_name} has not sent its {label}")
            escalated.append(row.team_name)
        count += 1
    if escalated:
        late = ", ".join(escalated)
        notices.queue(session, advisory, advisory.issuer_team, f"escalated:{step}", "email",
                      reach(session, advisory.issuer_team).email,
                      f"{advisory.id}:{step}:{action}:coordinator",
                      f"escalated: no {label} from {late}")
    return count


def check(advisory_id: str, step: str, action: str) -> None:
    """Scheduler job: remind or escalate, if the advisory is still open."""
    with job_session(job_app()) as session:
        advisory = session.get(Advisory, uuid.UUID(advisory_id))
        if advisory is None or advisory.state != AdvisoryState.ISSUED:
            return
        act(session, advisory, step, action, utcnow())


def deliver() -> None:
    """Scheduler job: send the notices that are due."""
    notices.deliver_due(job_app())
