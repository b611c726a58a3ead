"""JSON-ready views of a run for the API and the CLI: summary and status (EXCON's console)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from exercises.judging import evaluation
from exercises.models import Exercise, ExerciseInject
from exercises.runs.planning import inject_spec, local_iso
from exercises.scenarios.durations import clock, to_iso


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def delay_seconds(inject: ExerciseInject) -> float | None:
    """How late (positive) the release was against the due time."""
    if inject.released_at is None:
        return None
    return round((inject.released_at - inject.due_at).total_seconds(), 3)


def summary(exercise: Exercise) -> dict[str, Any]:
    """What lists show about a run, with its start in every team's time zone."""
    return {
        "id": str(exercise.id),
        "name": exercise.name,
        "scenario": {"title": exercise.document["title"],
                     "version": exercise.document["version"]},
        "state": exercise.state.value,
        "rehearsal": exercise.rehearsal,
        "speed": exercise.speed,
        "start_at": exercise.start_at.isoformat(),
        "end_at": exercise.end_at.isoformat(),
        "owner_team": exercise.owner_team.name,
        "collection_id": str(exercise.collection_id),
        "teams": [{
            "placeholder": team.placeholder,
            "team": team.team.name,
            "timezone": team.team.timezone,
            "start_local": local_iso(exercise.start_at, team.team.timezone),
            "briefing_collection_id": str(team.briefing_collection_id),
        } for team in exercise.teams],
    }


def inject_view(exercise: Exercise, inject: ExerciseInject) -> dict[str, Any]:
    spec = inject_spec(exercise, inject.key)
    return {
        "key": inject.key,
        "sequence": inject.sequence,
        "title": spec["title"],
        "audience": spec["audience"],
        "channels": spec["channels"],
        "offset": to_iso(timedelta(seconds=inject.offset_seconds)),
        "clock": clock(inject.offset_seconds),
        "state": inject.state.value,
        "held": inject.held,
        "planned_at": inject.planned_at.isoformat(),
        "due_at": inject.due_at.isoformat(),
        "released_at": _iso(inject.released_at),
        "release_mode": inject.release_mode,
        "delay_seconds": delay_seconds(inject),
        "controller_notes": spec["controller_notes"],
    }


def status(session: Session, exercise: Exercise) -> dict[str, Any]:
    """The full picture for EXCON, evaluators and observers."""
    results = evaluation.results(session, exercise)
    return {
        **summary(exercise),
        "started_at": _iso(exercise.started_at),
        "ended_at": _iso(exercise.ended_at),
        "paused_at": _iso(exercise.paused_at),
        "paused_seconds": round(exercise.paused_seconds, 3),
        "staff": [{"user": s.user.username, "role": s.role.value} for s in exercise.staff],
        "injects": [inject_view(exercise, inject) for inject in exercise.injects],
        "verdicts": dict(sorted(Counter(r.verdict.value for r in results).items())),
        "expectations": [evaluation.view(exercise, r) for r in results],
    }
