"""Template filters of the exercise pages."""

from __future__ import annotations

from exercises.scenarios.durations import human


def signed_duration(seconds: float | None) -> str:
    """A delay people read at a glance: ``+4m 05s`` late, ``-21h 00m`` early, empty for none."""
    if seconds is None:
        return ""
    text = human(seconds)
    return text if text.startswith("-") else f"+{text}"
