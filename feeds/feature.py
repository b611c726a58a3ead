"""What the feeds package plugs into the hub (read by :mod:`accord.assembly`)."""

from __future__ import annotations

from accord.features import Feature
from feeds import web
from feeds.api import bp as api_bp
from feeds.cli import feeds_group

FEATURE = Feature(
    name="feeds",
    blueprints=(api_bp,),
    pages=(web.pages,),
    commands=(feeds_group,),
    dashboard_panels=(web.PANEL,),
)
