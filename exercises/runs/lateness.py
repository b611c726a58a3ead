"""How late an inject went out, for players ("released 4 min late") and the report.

Only scheduled releases can be late: a coordinator's "Release now" is on time by definition.
A release within :data:`LATE_AFTER_SECONDS` hub seconds of its due time counts as on time
(the scheduler's own wake-up and the release's transaction take a moment).
"""

from __future__ import annotations

from exercises.models import ExerciseInject

LATE_AFTER_SECONDS = 1.0


def late_seconds(inject: ExerciseInject) -> float:
    """How much later than due an inject was released (0 when on time or not released)."""
    if inject.released_at is None or inject.release_mode != "schedule":
        return 0.0
    late = (inject.released_at - inject.due_at).total_seconds()
    return round(late, 3) if late > LATE_AFTER_SECONDS else 0.0


def late_text(inject: ExerciseInject, speed: float = 1.0) -> str | None:
    """What players read: ``released 4 min late`` (scenario time), or None when on time."""
    late = late_seconds(inject) * speed
    if not late:
        return None
    if late >= 60:
        return f"released {round(late / 60)} min late"
    return f"released {round(late)} s late"
