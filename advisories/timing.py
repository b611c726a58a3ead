"""Durations as people read them in the matrix and the report: ``late 30 min``, ``3 h 10 min``."""

from __future__ import annotations


def lateness(seconds: float | None) -> str:
    """``late 30 min``, ``late 2 h 5 min``, ``late 1 d 3 h``; empty when on time."""
    if not seconds:
        return ""
    minutes = max(1, round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) \
        + ([f"{minutes} min"] if minutes and not days else [])
    return "late " + " ".join(parts)


def duration_text(seconds: float | None) -> str:
    """A time taken, as ``45 min`` or ``3 h 10 min`` (``—`` when not done)."""
    if seconds is None:
        return "—"
    return lateness(seconds).removeprefix("late ") or "0 min"
