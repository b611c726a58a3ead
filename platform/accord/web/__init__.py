"""Server-rendered web interface (issue 6): sign-in, dashboard, collections, sharing, admin.

``bp`` is the parent blueprint; each area is a child blueprint in its own module. Security
(CSRF, headers, cookie settings) and the signed-in user are wired on the parent.
"""

from __future__ import annotations

from flask import Blueprint

from accord.web import (
    admin_views,
    auth_views,
    collection_views,
    exercise_views,
    formatting,
    home_views,
    refusals,
    scenario_views,
    schedule_views,
    security,
    sessions,
    share_views,
    token_views,
)

bp = Blueprint("web", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static")
security.install(bp)
sessions.install(bp)
refusals.install(bp)
formatting.install(bp)
for child in (auth_views.bp, home_views.bp, collection_views.bp, share_views.bp,
              token_views.bp, schedule_views.bp, exercise_views.bp, scenario_views.bp,
              admin_views.bp):
    bp.register_blueprint(child)

__all__ = ["bp"]
