"""Demo content: the Harbour Lights sample, scheduled for tomorrow morning for the demo CERTs."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.teams import Team
from accord.models.users import User
from exercises.runs import job_sync, planning
from exercises.scenarios import library, scenario_format

DEMO_PLACEHOLDERS = ("lead", "north", "south")


def seed_demo_exercise(session: Session) -> None:
    """Import the sample and schedule it at 09:00 tomorrow in the lead team's time zone.

    The scheduler's job store lives beside the data, so the demo rows are committed first and
    the jobs written after (both through this session's engine).
    """
    teams = list(session.scalars(select(Team).order_by(Team.created_at, Team.name).limit(3)))
    if len(teams) < len(DEMO_PLACEHOLDERS):
        return
    coordinator = session.scalar(select(User).where(User.username == "coordinator"))
    document = scenario_format.parse(library.sample_text("harbour-lights"))
    record = library.save(session, document, "yaml", coordinator)
    zone = ZoneInfo(teams[0].timezone)
    tomorrow = utcnow().astimezone(zone).date() + timedelta(days=1)
    request = planning.ScheduleRequest(
        scenario=str(record.id), name=f"{document['title']} (demo)",
        start=datetime.combine(tomorrow, time(9, 0), tzinfo=zone),
        teams=dict(zip(DEMO_PLACEHOLDERS, (team.name for team in teams), strict=True)),
        evaluators=[name for name in ("evaluator",) if _exists(session, name)],
        observers=[name for name in ("observer",) if _exists(session, name)])
    exercise = planning.schedule_exercise(session, request, coordinator, teams[0].name)
    session.commit()
    job_sync.sync_engine_jobs(session.get_bind(), exercise.id)  # type: ignore[arg-type]


def _exists(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None
