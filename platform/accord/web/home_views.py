"""The dashboard: what the signed-in user's team may see, summarised.

The core panels read collections through ``accord.authz`` and shared objects through
``accord.web.activity`` (the TAXII TLP policy). Features add their own panels (exercises,
feed health) through :class:`accord.features.DashboardPanel`, each reading through its own
service and visibility rules. Each view is audited (one ``web.read.dashboard`` row): it shows
partner object names and patterns.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from accord import audit, authz, features
from accord.db import get_session
from accord.web import activity
from accord.web.sessions import current_user, login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def dashboard() -> str:
    """Collections, partner shares, then each feature's panels the user may see."""
    user = current_user()
    db = get_session()
    panels = []
    for panel in features.dashboard_panels():
        context = panel.context(db, user)
        if context is not None:
            panels.append((panel.template, context))
    collections = authz.visible_collections(db, user.team_id)
    summary = activity.summarise(db, user, current_app.config["HUB_NAME"])
    audit.record(db, "web.read.dashboard", actor=user, details={
        "collections": len(collections), "partner_objects": len(summary.recent),
        "tlp": sorted({row.tlp.value for _, row, _ in summary.recent}),
        "panels": [template for template, _ in panels]})
    db.commit()
    return render_template("dashboard.html", collections=collections, activity=summary,
                           panels=panels, timezone=user.team.timezone)
