"""When a conditional inject (``release_on``) is due, derived from the database alone.

A conditional inject waits on one expected action of another inject: it is due when that
action was *met* (at its evidence time), *late* (at its late evidence) or *missed* (at its
deadline), plus the scenario's delay; an inject that also has an ``offset`` is due at
whichever comes first. Nothing is kept in memory: the scheduler's jobs are derived from these
times (:mod:`exercises.runs.job_sync`) and the job re-checks them when it fires, so a crash or
a new scheduler leader loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from exercises.models import Exercise, ExerciseInject, ExpectationResult, InjectState, Verdict
from exercises.runs.planning import inject_spec, scaled

WATCH_SECONDS = 15  # how often a run waiting on STIX evidence is re-evaluated
DONE = (Verdict.MET, Verdict.LATE, Verdict.PARTIALLY_MET)


def _outcome_time(result: ExpectationResult, outcome: str) -> datetime | None:
    """When ``result`` reached ``outcome``; a still-open *missed* projects to its deadline."""
    verdict = result.verdict
    if outcome == "met" and verdict in (Verdict.MET, Verdict.PARTIALLY_MET):
        return result.evidence_at or result.judged_at
    if outcome == "late" and verdict == Verdict.LATE:
        return result.evidence_at or result.judged_at
    if outcome == "missed":
        if verdict in (Verdict.MISSED, Verdict.NOT_MET, Verdict.NOT_OBSERVED):
            return result.deadline_at if result.judged_at is None else result.judged_at
        if verdict == Verdict.PENDING and result.evidence_kind != "manual":
            return result.deadline_at  # the job then fires and re-checks after evaluation
    return None


def condition_time(session: Session, exercise: Exercise, inject: ExerciseInject
                   ) -> datetime | None:
    """When the inject's condition held (plus its delay), or None if it does not (yet)."""
    release = inject_spec(exercise, inject.key).get("release_on")
    if not release:
        return None
    trigger = next((i for i in exercise.injects if i.key == release["inject"]), None)
    if trigger is None or trigger.released_at is None:
        return None
    query = select(ExpectationResult).where(ExpectationResult.inject_id == trigger.id,
                                            ExpectationResult.action_key == release["action"])
    if release.get("team"):
        team = next((t for t in exercise.teams if t.placeholder == release["team"]), None)
        if team is None:
            return None
        query = query.where(ExpectationResult.team_id == team.team_id)
    times = [moment for result in session.scalars(query)
             if (moment := _outcome_time(result, release["outcome"])) is not None]
    if not times:
        return None
    return min(times) + scaled(exercise, release.get("delay") or "PT0S")


def release_time(session: Session, exercise: Exercise, inject: ExerciseInject
                 ) -> datetime | None:
    """When a pending inject is due: its (pause-shifted) time, its condition, or the earlier."""
    spec = inject_spec(exercise, inject.key)
    if not spec.get("release_on"):
        return inject.due_at
    times = [moment for moment in (condition_time(session, exercise, inject),
                                   inject.due_at if spec.get("offset") else None) if moment]
    return min(times) if times else None


def waiting_on_evidence(session: Session, exercise: Exercise) -> bool:
    """Whether a pending conditional inject waits for evidence that only an evaluation finds
    (a met or late outcome of an action whose inject is out)."""
    for inject in exercise.injects:
        release = inject_spec(exercise, inject.key).get("release_on")
        if (release and inject.state == InjectState.PENDING and not inject.held
                and release["outcome"] in ("met", "late")
                and condition_time(session, exercise, inject) is None):
            trigger = next((i for i in exercise.injects if i.key == release["inject"]), None)
            if trigger is not None and trigger.released_at is not None:
                return True
    return False


def next_watch(now: datetime | None = None) -> datetime:
    """The next watch time, on a fixed grid so repeated syncs keep the same job."""
    moment = now or utcnow()
    seconds = moment.timestamp()
    step = WATCH_SECONDS - (seconds % WATCH_SECONDS)
    return moment + timedelta(seconds=step)
