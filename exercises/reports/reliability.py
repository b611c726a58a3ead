"""What went wrong with the hub during a run: scheduler outages and late releases.

An outage is a stretch when no scheduler held the lease (read from the scheduler's takeover
records: from the previous leader's last renewal to the new leader's takeover). A late
release is an inject released on schedule more than ``LATE_AFTER_SECONDS`` hub seconds
after it was due (:mod:`exercises.runs.lateness`): a scheduler outage, a crash mid-release,
an overloaded database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.scheduling import SchedulerTakeover
from exercises.models import Exercise
from exercises.runs.lateness import LATE_AFTER_SECONDS, late_seconds
from exercises.scenarios.durations import human


def outages(session: Session, exercise: Exercise) -> list[dict[str, Any]]:
    """Scheduler outages overlapping the run (from planned start to ENDEX, or now)."""
    begin = min(exercise.start_at, exercise.started_at or exercise.start_at)
    end = exercise.ended_at or utcnow()
    rows = session.scalars(select(SchedulerTakeover).where(
        SchedulerTakeover.name == "scheduler", SchedulerTakeover.taken_at >= begin)
        .order_by(SchedulerTakeover.taken_at))
    found = []
    for row in rows:
        last_seen: datetime | None = row.previous_renewed_at or row.previous_expires_at
        if last_seen is None or last_seen > end:
            continue
        seconds = (row.taken_at - last_seen).total_seconds()
        found.append({"from": last_seen.isoformat(), "to": row.taken_at.isoformat(),
                      "seconds": round(seconds, 3), "duration": human(seconds),
                      "previous_scheduler": row.previous_holder, "scheduler": row.holder})
    return found


def late_releases(exercise: Exercise) -> list[dict[str, Any]]:
    """Injects released on schedule later than due, latest first."""
    rows = [{"inject": inject.key, "due_at": inject.due_at.isoformat(),
             "released_at": inject.released_at.isoformat() if inject.released_at else None,
             "late_seconds": late_seconds(inject),
             "late_scenario_seconds": round(late_seconds(inject) * exercise.speed, 3)}
            for inject in exercise.injects if late_seconds(inject)]
    return sorted(rows, key=lambda row: -row["late_seconds"])


def section(session: Session, exercise: Exercise) -> dict[str, Any]:
    """The report's reliability section."""
    return {"outages": outages(session, exercise), "late_releases": late_releases(exercise),
            "late_after_seconds": LATE_AFTER_SECONDS}
