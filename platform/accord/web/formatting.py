"""Template helpers of the web shell: times in a team's own time zone (the server keeps UTC)
and the navigation links features register."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint

from accord import features
from accord.web import markdown_text


def in_zone(moment: datetime, zone: str) -> str:
    """``2026-11-23 09:00 +07`` style local time; falls back to UTC for an unknown zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def install(bp: Blueprint) -> None:
    """Register the filters and globals for every template."""
    bp.add_app_template_filter(in_zone, "in_zone")
    bp.add_app_template_filter(markdown_text.render, "markdown")
    bp.add_app_template_global(features.nav_links, "feature_nav_links")
