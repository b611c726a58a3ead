"""After-action material: observations and lessons, objective ratings, the improvement plan.

Evaluators write observations and rate each objective per team on the scenario's rating
scale; coordinators keep the improvement plan after the exercise in the columns of HSEEP's
AAR/IP: capability, observation (the issue or area for improvement), recommendation,
corrective action, owner (primary responsible organisation), start date, completion (due)
date and status.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.errors import BadRequest, NotFound
from accord.models.users import User
from accord.services import lookup
from exercises.models import (
    Exercise,
    ExerciseNote,
    ImprovementAction,
    ImprovementStatus,
    ObjectiveRating,
)

NOTE_KINDS = ("observation", "strength", "improvement", "lesson")


def _author(actor: User | None) -> str:
    return actor.username if actor else "cli"


def _team_id(session: Session, exercise: Exercise, ref: str | None) -> uuid.UUID | None:
    if not ref:
        return None
    team = lookup.team(session, ref)
    if all(t.team_id != team.id for t in exercise.teams):
        raise BadRequest(f"team: {team.name!r} does not take part in {exercise.name!r}")
    return team.id


def _objective(exercise: Exercise, ref: str | None, required: bool = False) -> str | None:
    if not ref:
        if required:
            raise BadRequest("objective: required")
        return None
    if ref not in {o["id"] for o in exercise.document["objectives"]}:
        raise BadRequest(f"objective: the scenario has no objective {ref!r}")
    return ref


def add_note(session: Session, exercise: Exercise, kind: str, text: str,
             team: str | None = None, objective: str | None = None,
             actor: User | None = None) -> ExerciseNote:
    """Record an observation, strength, area for improvement or lesson learned."""
    if kind not in NOTE_KINDS:
        raise BadRequest(f"kind: must be one of {', '.join(NOTE_KINDS)}")
    if not text.strip():
        raise BadRequest("text: a note needs some text")
    note = ExerciseNote(exercise_id=exercise.id, kind=kind, text=text.strip(),
                        team_id=_team_id(session, exercise, team),
                        objective=_objective(exercise, objective), author=_author(actor))
    session.add(note)
    session.flush()
    audit.record(session, "exercise.note", actor=actor, target_type="exercise",
                 target_id=exercise.id, details={"kind": kind, "note": str(note.id)})
    return note


def rate(session: Session, exercise: Exercise, objective: str, team: str, rating: str,
         note: str = "", actor: User | None = None) -> ObjectiveRating:
    """Rate one objective for one team (a new rating replaces the previous one)."""
    key = _objective(exercise, objective, required=True)
    team_id = _team_id(session, exercise, team)
    scale = [item["value"] for item in exercise.document["rating_scale"]]
    if rating not in scale:
        raise BadRequest(f"rating: {rating!r} is not on the scale ({', '.join(scale)})")
    existing = session.scalar(select(ObjectiveRating).where(
        ObjectiveRating.exercise_id == exercise.id, ObjectiveRating.objective == key,
        ObjectiveRating.team_id == team_id))
    record = existing or ObjectiveRating(exercise_id=exercise.id, objective=key, team_id=team_id)
    record.rating, record.note, record.rated_by = rating, note.strip(), _author(actor)
    session.add(record)
    session.flush()
    audit.record(session, "exercise.rating", actor=actor, target_type="exercise",
                 target_id=exercise.id,
                 details={"objective": key, "team": team, "rating": rating})
    return record


def _status(text: str) -> ImprovementStatus:
    try:
        return ImprovementStatus(text.strip().lower().replace(" ", "_"))
    except ValueError:
        names = ", ".join(s.value for s in ImprovementStatus)
        raise BadRequest(f"status: {text!r} is not one of {names}") from None


def _due(text: str | date, field: str = "due_date") -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise BadRequest(f"{field}: {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _dates_in_order(item: ImprovementAction) -> None:
    if item.start_date is not None and item.start_date > item.due_date:
        raise BadRequest("start_date: must not be after the due (completion) date")


PLAN_TEXTS = ("capability", "observation", "recommendation")


def add_improvement(session: Session, exercise: Exercise, action: str, owner_team: str,
                    due_date: str | date, objective: str | None = None,
                    actor: User | None = None, *, capability: str = "", observation: str = "",
                    recommendation: str = "", start_date: str | date | None = None
                    ) -> ImprovementAction:
    """Add a row to the improvement plan (HSEEP AAR/IP columns, see the module docstring)."""
    if not action.strip():
        raise BadRequest("action: describe the corrective action")
    if len(capability.strip()) > 200:
        raise BadRequest("capability: at most 200 characters")
    team = lookup.team(session, owner_team)
    item = ImprovementAction(exercise_id=exercise.id, action=action.strip(), owner_team=team,
                             owner_team_id=team.id, due_date=_due(due_date),
                             start_date=_due(start_date, "start_date") if start_date else None,
                             capability=capability.strip(), observation=observation.strip(),
                             recommendation=recommendation.strip(),
                             objective=_objective(exercise, objective), updated_by=_author(actor))
    _dates_in_order(item)
    session.add(item)
    session.flush()
    audit.record(session, "exercise.improvement.add", actor=actor, target_type="exercise",
                 target_id=exercise.id, details={"improvement": str(item.id)})
    return item


def update_improvement(session: Session, exercise: Exercise, ref: str,
                       changes: dict[str, Any], actor: User | None = None) -> ImprovementAction:
    """Change status, due date, owner or wording of an improvement plan row."""
    try:
        item = session.get(ImprovementAction, uuid.UUID(ref))
    except ValueError:
        item = None
    if item is None or item.exercise_id != exercise.id:
        raise NotFound(f"exercise {exercise.name!r} has no improvement action {ref!r}")
    unknown = set(changes) - {"status", "due_date", "start_date", "owner_team", "action",
                              "objective", *PLAN_TEXTS}
    if unknown:
        raise BadRequest(f"{sorted(unknown)[0]}: cannot be changed")
    if "status" in changes:
        item.status = _status(str(changes["status"]))
    if "due_date" in changes:
        item.due_date = _due(changes["due_date"])
    if "owner_team" in changes:
        team = lookup.team(session, str(changes["owner_team"]))
        item.owner_team, item.owner_team_id = team, team.id
    if "action" in changes:
        if not str(changes["action"]).strip():
            raise BadRequest("action: describe the corrective action")
        item.action = str(changes["action"]).strip()
    if "objective" in changes:
        item.objective = _objective(exercise, changes["objective"])
    if "start_date" in changes:
        item.start_date = (_due(changes["start_date"], "start_date") if changes["start_date"]
                           else None)
    for key in PLAN_TEXTS:
        if key in changes:
            setattr(item, key, str(changes[key] or "").strip())
    _dates_in_order(item)
    item.updated_by = _author(actor)
    session.flush()
    audit.record(session, "exercise.improvement.update", actor=actor, target_type="exercise",
                 target_id=exercise.id,
                 details={"improvement": str(item.id), "changes": sorted(changes)})
    return item


def improvement_view(item: ImprovementAction) -> dict[str, Any]:
    """One improvement plan row in HSEEP AAR/IP order."""
    return {"id": str(item.id), "capability": item.capability, "objective": item.objective,
            "observation": item.observation, "recommendation": item.recommendation,
            "action": item.action, "owner_team": item.owner_team.name,
            "start_date": item.start_date.isoformat() if item.start_date else None,
            "due_date": item.due_date.isoformat(), "status": item.status.value,
            "updated_by": item.updated_by}


def notes(session: Session, exercise: Exercise) -> list[ExerciseNote]:
    return list(session.scalars(select(ExerciseNote).where(
        ExerciseNote.exercise_id == exercise.id).order_by(ExerciseNote.created_at)))


def ratings(session: Session, exercise: Exercise) -> list[ObjectiveRating]:
    return list(session.scalars(select(ObjectiveRating).where(
        ObjectiveRating.exercise_id == exercise.id)))


def improvements(session: Session, exercise: Exercise) -> list[ImprovementAction]:
    return list(session.scalars(select(ImprovementAction).where(
        ImprovementAction.exercise_id == exercise.id).order_by(ImprovementAction.due_date,
                                                                ImprovementAction.created_at)))
