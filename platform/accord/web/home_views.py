"""The dashboard: what the signed-in user's team may see, summarised.

Each panel reads through its feature's own service, which applies that feature's visibility
rules: collections through ``accord.authz``, shared objects through ``accord.web.activity`` (the
TAXII TLP policy), exercises through ``exercises.access``, feeds (admin-only, like their API)
through ``feeds.sources``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from accord import authz
from accord.db import get_session
from accord.models.users import Role
from accord.scheduler.lease import scheduler_state
from accord.web import activity
from accord.web.sessions import current_user, login_required
from exercises.access import visible_exercises
from exercises.models import ExerciseState
from feeds import sources

bp = Blueprint("home", __name__)
ACTIVE_STATES = frozenset({ExerciseState.SCHEDULED, ExerciseState.RUNNING, ExerciseState.PAUSED})


@bp.get("/")
@login_required
def dashboard() -> str:
    """Collections, partner shares, upcoming/running exercises and (admins) feed health."""
    user = current_user()
    db = get_session()
    exercises = [run for run in visible_exercises(db, user) if run.state in ACTIVE_STATES]
    admin = user.role == Role.ADMIN
    feeds = [(feed, sources.health(feed)) for feed in sources.list_feeds(db)] if admin else None
    return render_template("dashboard.html",
                           collections=authz.visible_collections(db, user.team_id),
                           activity=activity.summarise(db, user), exercises=exercises,
                           feeds=feeds, timezone=user.team.timezone,
                           scheduler=scheduler_state(current_app) if admin else None)
