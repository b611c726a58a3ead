"""Server-rendered web interface: the shell (sign-in, security, navigation, dashboard) and the
core pages (collections, sharing, tokens, admin).

:func:`create_blueprint` builds the parent blueprint for one app; each area is a child
blueprint in its own module, and features add their own pages as further children (so their
endpoints are ``web.<page>.*`` too). Security (CSRF, headers, cookie settings) and the
signed-in user are wired on the parent, so they hold for feature pages as well.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint

from accord.web import (
    admin_views,
    agreement_views,
    auth_views,
    collection_views,
    formatting,
    home_views,
    refusals,
    security,
    sessions,
    share_views,
    token_views,
)

CORE_PAGES: tuple[Blueprint, ...] = (auth_views.bp, home_views.bp, collection_views.bp,
                                     share_views.bp, token_views.bp, admin_views.bp,
                                     agreement_views.bp)


def create_blueprint(feature_pages: Sequence[Blueprint] = ()) -> Blueprint:
    """The ``web`` blueprint with the core pages and ``feature_pages`` beneath it."""
    bp = Blueprint("web", __name__, template_folder="../templates", static_folder="../static",
                   static_url_path="/static")
    security.install(bp)
    sessions.install(bp)
    refusals.install(bp)
    formatting.install(bp)
    for child in (*CORE_PAGES, *feature_pages):
        bp.register_blueprint(child)
    return bp


__all__ = ["create_blueprint"]
