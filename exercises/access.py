"""Who may do what with an exercise.

- Control (schedule, pause, release, cancel, improvement plan): admins and coordinators of the
  team that runs the exercise (EXCON).
- Judging (manual verdicts, overrides, ratings, observations): those, plus the evaluators
  assigned to the exercise.
- Viewing the whole exercise (status, expectations, report): those, plus assigned observers.
- Playing (inbox, acknowledge, respond): analysts and coordinators of a participating team.

Someone with no part in an exercise gets 404, so its existence does not leak.
"""

from __future__ import annotations

import uuid

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from accord import authz
from accord.errors import Forbidden, NotFound
from accord.models.users import Role, User
from exercises.models import Exercise, ExerciseStaff, ExerciseTeam, StaffRole

PLAYER_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR, Role.ADMIN, Role.SERVICE})


def load(session: Session, ref: str) -> Exercise:
    """An exercise by id or exact name."""
    try:
        found = session.get(Exercise, uuid.UUID(ref))
    except ValueError:
        found = None
    if found is None:
        matches = list(session.scalars(select(Exercise).where(Exercise.name == ref)))
        if len(matches) > 1:
            raise NotFound(f"several exercises are named {ref!r}; use the id")
        found = matches[0] if matches else None
    if found is None:
        raise NotFound(f"unknown exercise {ref!r}")
    return found


def staff_role(exercise: Exercise, user: User) -> StaffRole | None:
    return next((s.role for s in exercise.staff if s.user_id == user.id), None)


def participant(exercise: Exercise, user: User) -> ExerciseTeam | None:
    return next((t for t in exercise.teams if t.team_id == user.team_id), None)


def is_controller(exercise: Exercise, user: User) -> bool:
    return authz.is_admin(user) or (
        user.role == Role.COORDINATOR and user.team_id == exercise.owner_team_id)


def is_judge(exercise: Exercise, user: User) -> bool:
    return is_controller(exercise, user) or staff_role(exercise, user) == StaffRole.EVALUATOR


def is_viewer(exercise: Exercise, user: User) -> bool:
    return is_judge(exercise, user) or staff_role(exercise, user) == StaffRole.OBSERVER


def _visible(exercise: Exercise, user: User) -> None:
    if not (is_viewer(exercise, user) or participant(exercise, user)):
        raise NotFound(f"unknown exercise {str(exercise.id)!r}")


def require_control(exercise: Exercise, user: User) -> None:
    _visible(exercise, user)
    if not is_controller(exercise, user):
        raise Forbidden("Only the exercise's coordinators (EXCON) may do this.")


def require_judge(exercise: Exercise, user: User) -> None:
    _visible(exercise, user)
    if not is_judge(exercise, user):
        raise Forbidden("Only the exercise's evaluators and coordinators may judge.")


def require_view(exercise: Exercise, user: User) -> None:
    _visible(exercise, user)
    if not is_viewer(exercise, user):
        raise Forbidden("Players see their inbox; the full exercise view is for EXCON, "
                        "evaluators and observers.")


def require_player(exercise: Exercise, user: User) -> ExerciseTeam:
    """The caller's team in the exercise; 403 for observers, evaluators and outsiders' roles."""
    _visible(exercise, user)
    team = participant(exercise, user)
    if team is None or user.role not in PLAYER_ROLES:
        raise Forbidden("Only players of a participating team may do this.")
    return team


def visible_exercises(session: Session, user: User) -> list[Exercise]:
    """Exercises the user runs, judges, observes or plays in, newest start first."""
    query = select(Exercise).order_by(Exercise.start_at.desc())
    if not authz.is_admin(user):
        staffed = select(ExerciseStaff.exercise_id).where(ExerciseStaff.user_id == user.id)
        playing = select(ExerciseTeam.exercise_id).where(ExerciseTeam.team_id == user.team_id)
        owned = Exercise.owner_team_id == user.team_id if user.role == Role.COORDINATOR else false()
        query = query.where(Exercise.id.in_(staffed) | Exercise.id.in_(playing) | owned)
    return list(session.scalars(query))


def all_exercises(session: Session) -> list[Exercise]:
    """Every exercise, newest start first (the CLI runs with the operator's full view)."""
    return list(session.scalars(select(Exercise).order_by(Exercise.start_at.desc())))


def message_sender(exercise: Exercise, user: User, as_excon: bool = False) -> str:
    """Who a message is from: the user's team placeholder, or ``excon`` for EXCON's
    coordinators (always when they play no team, on request when they also play)."""
    _visible(exercise, user)
    if as_excon:
        if not is_controller(exercise, user):
            raise Forbidden("Only the exercise's coordinators (EXCON) may write as EXCON.")
        return "excon"
    team = participant(exercise, user)
    if team is not None and user.role in PLAYER_ROLES:
        return team.placeholder
    if is_controller(exercise, user):
        return "excon"
    raise Forbidden("Only players and EXCON may send messages.")


def message_scope(exercise: Exercise, user: User) -> str | None:
    """Whose threads the user reads: ``None`` for all (EXCON and staff), else their team's."""
    if is_viewer(exercise, user):
        return None
    return require_player(exercise, user).placeholder
