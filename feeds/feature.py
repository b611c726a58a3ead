"""What the feeds package plugs into the hub (read by :mod:`accord.assembly`)."""

from __future__ import annotations

from flask import url_for

from accord.features import AuditTargets, Feature, named_by_column
from feeds import web
from feeds.api import bp as api_bp
from feeds.cli import feeds_group
from feeds.models import FeedSource


def _feed_url(target_id: str) -> str:
    """A feed has no page of its own: its line in the dashboard's feed-health panel."""
    return url_for("web.home.dashboard", _anchor=f"feed-{target_id}")


FEATURE = Feature(
    name="feeds",
    blueprints=(api_bp,),
    pages=(web.pages,),
    commands=(feeds_group,),
    dashboard_panels=(web.PANEL,),
    audit_targets=(AuditTargets("feed", named_by_column(FeedSource.id, FeedSource.name,
                                                        _feed_url)),),
)
