"""Players' feedback and lessons learned, open during play and after ENDEX for the time the
scenario gives (``feedback_window``), without moving the end of play.

Entries are stored as exercise notes of kind ``feedback`` or ``lesson`` with the team and
author, so the after-action report shows them beside the evaluators' observations (HSEEP's
participant feedback forms feed the AAR).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest, Conflict
from accord.models.users import User
from exercises.models import Exercise, ExerciseNote, ExerciseState, ExerciseTeam
from exercises.scenarios.durations import parse_iso

KINDS = ("feedback", "lesson")
MAX_TEXT = 20000


def closes_at(exercise: Exercise) -> datetime | None:
    """When the forms close: ENDEX plus the window (None while play goes on or if none)."""
    window = exercise.document.get("feedback_window")
    if exercise.state != ExerciseState.COMPLETED or exercise.ended_at is None or not window:
        return None
    return exercise.ended_at + parse_iso(window)


def is_open(exercise: Exercise, now: datetime | None = None) -> bool:
    """Open while the run is played, and after ENDEX until :func:`closes_at`."""
    if exercise.state in (ExerciseState.RUNNING, ExerciseState.PAUSED):
        return True
    until = closes_at(exercise)
    return until is not None and (now or utcnow()) <= until


def submit(session: Session, exercise: Exercise, team: ExerciseTeam, user: User, kind: str,
           text: str) -> ExerciseNote:
    """Record one team member's feedback or lesson learned."""
    if kind not in KINDS:
        raise BadRequest(f"kind: must be one of {', '.join(KINDS)}")
    text = (text or "").strip()
    if not text:
        raise BadRequest("text: must not be empty")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"text: longer than {MAX_TEXT} characters")
    if not is_open(exercise):
        until = closes_at(exercise)
        raise Conflict(f"the feedback forms of exercise {exercise.name!r} are closed"
                       + (f" since {until.isoformat()}" if until else ""))
    note = ExerciseNote(exercise_id=exercise.id, kind=kind, team_id=team.team_id,
                        author=user.username, text=text)
    session.add(note)
    session.flush()
    audit.record(session, "exercise.feedback.submit", actor=user, target_type="exercise",
                 target_id=exercise.id, details={"kind": kind, "note": str(note.id)})
    return note


def entries(session: Session, exercise: Exercise, team: ExerciseTeam | None
            ) -> list[dict[str, Any]]:
    """Feedback and lessons of one team (players), or of every team (``None``: staff)."""
    query = select(ExerciseNote).where(ExerciseNote.exercise_id == exercise.id,
                                       ExerciseNote.kind.in_(KINDS))
    if team is not None:
        query = query.where(ExerciseNote.team_id == team.team_id)
    names: dict[Any, str] = {t.team_id: t.team.name for t in exercise.teams}
    return [{"id": str(n.id), "kind": n.kind, "team": names.get(n.team_id), "author": n.author,
             "text": n.text, "at": n.created_at.isoformat()}
            for n in session.scalars(query.order_by(ExerciseNote.created_at))]
