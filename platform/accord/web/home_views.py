"""The dashboard: what the signed-in user's team may see, summarised."""

from __future__ import annotations

from flask import Blueprint, render_template

from accord import authz
from accord.db import get_session
from accord.web.sessions import current_user, login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def dashboard() -> str:
    """Collections the team can read, with its grant; more panels join as features land."""
    user = current_user()
    db = get_session()
    rows = authz.visible_collections(db, user.team_id)
    return render_template("dashboard.html", collections=rows)
