"""The dashboard panel of exercises: runs the user's team takes part in or staffs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from accord.features import DashboardPanel
from accord.models.users import User
from exercises.access import visible_exercises
from exercises.models import ExerciseState

ACTIVE_STATES = frozenset({ExerciseState.SCHEDULED, ExerciseState.RUNNING, ExerciseState.PAUSED})


def upcoming_and_running(session: Session, user: User) -> dict[str, Any]:
    """Scheduled, running and paused runs this user may see."""
    runs = [run for run in visible_exercises(session, user) if run.state in ACTIVE_STATES]
    return {"exercises": runs}


PANEL = DashboardPanel(template="exercises/_dashboard.html", context=upcoming_and_running)
