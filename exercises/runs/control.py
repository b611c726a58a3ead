"""Live control of a run by EXCON: pause, resume, release now, hold, skip, cancel, ENDEX.

Each function changes rows only; the caller commits and then calls
:func:`exercises.runs.job_sync.sync_jobs` so the scheduler follows. Pausing stops the clock: on
resume every inject not yet released, the end of play and every open deadline move later by the
length of the pause (OpenAEV's pause semantics, IcebergTTX's pause-aware countdown).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import Conflict
from accord.models.users import User
from exercises.judging import evaluation
from exercises.models import (
    Exercise,
    ExerciseInject,
    ExerciseState,
    ExpectationResult,
    InjectState,
)

FINISHED = (ExerciseState.COMPLETED, ExerciseState.CANCELLED)


def _record(session: Session, exercise: Exercise, action: str, actor: User | None,
            **details: object) -> None:
    audit.record(session, f"exercise.{action}", actor=actor, team=exercise.owner_team,
                 target_type="exercise", target_id=exercise.id,
                 details={"name": exercise.name, **details})


def _require_state(exercise: Exercise, *states: ExerciseState, doing: str) -> None:
    if exercise.state not in states:
        allowed = " or ".join(state.value for state in states)
        raise Conflict(f"cannot {doing}: exercise {exercise.name!r} is {exercise.state.value} "
                       f"(must be {allowed})")


def _pending(exercise: Exercise, inject: ExerciseInject, doing: str) -> None:
    _require_state(exercise, ExerciseState.SCHEDULED, ExerciseState.RUNNING,
                   ExerciseState.PAUSED, doing=doing)
    if inject.state != InjectState.PENDING:
        raise Conflict(f"cannot {doing}: inject {inject.key!r} is {inject.state.value}")


def pause(session: Session, exercise: Exercise, actor: User | None = None) -> Exercise:
    """Stop the clock: nothing is released until :func:`resume`."""
    _require_state(exercise, ExerciseState.RUNNING, doing="pause")
    exercise.state = ExerciseState.PAUSED
    exercise.paused_at = utcnow()
    _record(session, exercise, "pause", actor, paused_at=exercise.paused_at.isoformat())
    return exercise


def _shift_deadlines(session: Session, exercise: Exercise, paused_at: datetime,
                     resumed_at: datetime) -> None:
    """Open deadlines stop with the clock: they move by the part of the pause they lived
    through (all of it, or the time since their inject was released during the pause).

    An action already met (or done late) keeps its deadline: the evidence is looked up now,
    so the outcome never depends on whether someone pressed Evaluate before resuming.
    """
    released = {inject.id: inject.released_at for inject in exercise.injects}
    evaluation.evaluate(session, exercise, now=paused_at)
    open_results = session.scalars(select(ExpectationResult).where(
        ExpectationResult.exercise_id == exercise.id, ExpectationResult.deadline_at > paused_at,
        ExpectationResult.evidence_at.is_(None),
        ExpectationResult.judged_verdict.is_(None)))
    for result in open_results:
        since = max(paused_at, released.get(result.inject_id) or paused_at)
        result.deadline_at = result.deadline_at + (resumed_at - since)


def resume(session: Session, exercise: Exercise, actor: User | None = None) -> Exercise:
    """Restart the clock; everything still to come moves later by the pause's length."""
    _require_state(exercise, ExerciseState.PAUSED, doing="resume")
    assert exercise.paused_at is not None
    now = utcnow()
    delta = now - exercise.paused_at
    for inject in exercise.injects:
        if inject.state == InjectState.PENDING:
            inject.due_at = inject.due_at + delta
    _shift_deadlines(session, exercise, exercise.paused_at, now)
    exercise.end_at = exercise.end_at + delta
    exercise.paused_seconds += delta.total_seconds()
    exercise.paused_at = None
    exercise.state = ExerciseState.RUNNING
    _record(session, exercise, "resume", actor, paused_seconds=round(delta.total_seconds(), 3),
            resumed_at=now.isoformat())
    return exercise


def release_now(session: Session, exercise: Exercise, inject: ExerciseInject,
                actor: User | None = None) -> ExerciseInject:
    """Deliver an inject at once, whether it was held, waiting, or the clock is paused."""
    from exercises.runs import delivery  # the write path: only for a release (issue 15)

    _pending(exercise, inject, "release")
    return delivery.release(session, exercise, inject, "manual", actor)


def hold(session: Session, exercise: Exercise, inject: ExerciseInject,
         actor: User | None = None) -> ExerciseInject:
    """Keep an inject back until someone releases it by hand ("pull, not push")."""
    _pending(exercise, inject, "hold")
    if inject.held:
        raise Conflict(f"inject {inject.key!r} is already held")
    inject.held = True
    _record(session, exercise, "inject.hold", actor, inject=inject.key)
    return inject


def unhold(session: Session, exercise: Exercise, inject: ExerciseInject,
           actor: User | None = None) -> ExerciseInject:
    """Give a held inject back to the schedule (released at once if its time has passed)."""
    _pending(exercise, inject, "unhold")
    if not inject.held:
        raise Conflict(f"inject {inject.key!r} is not held")
    inject.held = False
    _record(session, exercise, "inject.unhold", actor, inject=inject.key)
    return inject


def skip(session: Session, exercise: Exercise, inject: ExerciseInject,
         actor: User | None = None) -> ExerciseInject:
    """Drop an inject from this run; the report shows it as skipped."""
    _pending(exercise, inject, "skip")
    inject.state = InjectState.SKIPPED
    _record(session, exercise, "inject.skip", actor, inject=inject.key)
    return inject


def _close_injects(exercise: Exercise) -> None:
    for inject in exercise.injects:
        if inject.state == InjectState.PENDING:
            inject.state = InjectState.CANCELLED


def cancel(session: Session, exercise: Exercise, actor: User | None = None,
           reason: str = "") -> Exercise:
    """Call the exercise off; nothing more is released."""
    _require_state(exercise, ExerciseState.SCHEDULED, ExerciseState.RUNNING,
                   ExerciseState.PAUSED, doing="cancel")
    exercise.state = ExerciseState.CANCELLED
    exercise.ended_at = utcnow()
    _close_injects(exercise)
    _record(session, exercise, "cancel", actor, reason=reason,
            ended_at=exercise.ended_at.isoformat())
    return exercise


def complete(session: Session, exercise: Exercise, actor: User | None = None) -> Exercise:
    """ENDEX: end play now, close open deadlines and judge what can be judged automatically."""
    _require_state(exercise, ExerciseState.RUNNING, ExerciseState.PAUSED, doing="end")
    now = utcnow()
    if exercise.state == ExerciseState.PAUSED and exercise.paused_at is not None:
        exercise.paused_seconds += (now - exercise.paused_at).total_seconds()
        exercise.paused_at = None
    exercise.state = ExerciseState.COMPLETED
    exercise.ended_at = now
    _close_injects(exercise)
    verdicts = evaluation.evaluate(session, exercise, final=True)
    _record(session, exercise, "complete", actor, verdicts=verdicts, ended_at=now.isoformat())
    return exercise
