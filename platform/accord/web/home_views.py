"""The dashboard: what the signed-in user's team may see, summarised.

Each panel reads through its feature's own service, which applies that feature's visibility
rules: collections through ``accord.authz``, shared objects through ``accord.web.activity`` (the
TAXII TLP policy), exercises through ``exercises.access``, feeds (admin-only, like their API)
through ``feeds.sources``. Each view is audited (one ``web.read.dashboard`` row): it shows
partner object names and patterns.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from accord import audit, authz
from accord.db import get_session
from accord.models.users import Role
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
    feeds = ([(feed, sources.health(feed)) for feed in sources.list_feeds(db)]
             if user.role == Role.ADMIN else None)
    collections = authz.visible_collections(db, user.team_id)
    summary = activity.summarise(db, user)
    audit.record(db, "web.read.dashboard", actor=user, details={
        "collections": len(collections), "partner_objects": len(summary.recent),
        "tlp": sorted({row.tlp.value for _, row, _ in summary.recent}),
        "exercises": len(exercises), "feeds": len(feeds) if feeds is not None else None})
    db.commit()
    return render_template("dashboard.html", collections=collections, activity=summary,
                           exercises=exercises, feeds=feeds, timezone=user.team.timezone)
