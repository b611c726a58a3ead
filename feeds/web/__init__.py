"""The feed parts of the web UI: today the dashboard's feed-health panel (admins only, like
the feeds API). ``pages`` only carries the template folder."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy.orm import Session

from accord.features import DashboardPanel
from accord.models.users import Role, User
from accord.scheduler.lease import scheduler_state
from feeds import sources

pages = Blueprint("feeds", __name__, template_folder="templates")


def feed_health(session: Session, user: User) -> dict[str, Any] | None:
    """Every feed with its health, for admins; nothing for anyone else."""
    if user.role != Role.ADMIN:
        return None
    return {"feeds": [(feed, sources.health(feed)) for feed in sources.list_feeds(session)],
            "scheduler": scheduler_state(current_app)}


PANEL = DashboardPanel(template="feeds/_dashboard.html", context=feed_health)
