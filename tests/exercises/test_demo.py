"""The demo seeder schedules the Harbour Lights sample for the three demo CERTs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.assembly.demo import seed_demo
from exercises.models import Exercise
from exercises.runs import job_sync


def test_demo_schedules_a_sample_exercise_with_jobs(app: Flask, session: Session) -> None:
    seed_demo(app)
    run = session.scalar(select(Exercise))
    assert run is not None and run.name == "Harbour Lights (demo)"
    assert run.owner_team.name == "Lotus CERT"
    assert {t.placeholder: t.team.name for t in run.teams} == {
        "lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"}
    assert run.start_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).hour == 9
    assert sorted((s.user.username, s.role.value) for s in run.staff) == [
        ("evaluator", "evaluator"), ("observer", "observer")]
    jobs = job_sync.scheduled_jobs(app, run.id)
    assert f"exercise:{run.id}:start" in jobs and len(jobs) == 8  # start, 6 injects, end
