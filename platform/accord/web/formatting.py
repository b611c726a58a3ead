"""Template filters: times shown in a team's own time zone (the server keeps UTC)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint

from exercises.durations import human


def in_zone(moment: datetime, zone: str) -> str:
    """``2026-11-23 09:00 +07`` style local time; falls back to UTC for an unknown zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def signed_duration(seconds: float | None) -> str:
    """A delay people read at a glance: ``+4m 05s`` late, ``-21h 00m`` early, empty for none."""
    if seconds is None:
        return ""
    text = human(seconds)
    return text if text.startswith("-") else f"+{text}"


def install(bp: Blueprint) -> None:
    """Register the filters for every template."""
    bp.add_app_template_filter(in_zone, "in_zone")
    bp.add_app_template_filter(signed_duration, "signed_duration")
