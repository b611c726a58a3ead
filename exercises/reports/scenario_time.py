"""Scenario time of a run: ``T+hh:mm`` from STARTEX with the pauses taken out.

A run's hub time and its scenario time part whenever EXCON pauses (the scenario clock stops)
and in rehearsals (hub seconds times the speed factor). The pauses are read back from the
audit trail of pause/resume (the exact instants are in their details), so the mapping holds
for finished runs and for runs still in play.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from exercises.models import Exercise
from exercises.scenarios.durations import clock

PAUSE_EDGES = ("exercise.pause", "exercise.resume", "exercise.complete", "exercise.cancel")


@dataclass(frozen=True)
class ScenarioClock:
    """Maps hub instants of one run to scenario seconds since STARTEX."""

    started_at: datetime
    speed: float
    pauses: tuple[tuple[datetime, datetime | None], ...]

    def paused_before(self, moment: datetime) -> float:
        """Hub seconds the clock stood still between STARTEX and ``moment``."""
        total = 0.0
        for begin, end in self.pauses:
            stop = moment if end is None else min(end, moment)
            if stop > begin:
                total += (stop - max(begin, self.started_at)).total_seconds()
        return total

    def seconds(self, moment: datetime) -> float:
        """Scenario seconds at ``moment`` (negative before STARTEX)."""
        hub = (moment - self.started_at).total_seconds()
        if hub > 0:
            hub -= self.paused_before(moment)
        return round(hub * self.speed, 3)

    def label(self, moment: datetime) -> str:
        """``T+01:15`` (seconds shown when not zero)."""
        return clock(self.seconds(moment))


def _instant(event: AuditEvent, key: str) -> datetime:
    value = (event.details or {}).get(key)
    return datetime.fromisoformat(value) if isinstance(value, str) else event.occurred_at


def scenario_clock(session: Session, exercise: Exercise) -> ScenarioClock:
    """The scenario clock of ``exercise`` from its pause and resume records."""
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.target_type == "exercise", AuditEvent.target_id == str(exercise.id),
        AuditEvent.action.in_(PAUSE_EDGES)).order_by(AuditEvent.occurred_at))
    pauses: list[tuple[datetime, datetime | None]] = []
    begin: datetime | None = None
    for event in events:
        if event.action == "exercise.pause":
            begin = _instant(event, "paused_at")
        elif begin is not None:
            pauses.append((begin, _instant(event, "resumed_at" if event.action ==
                                           "exercise.resume" else "ended_at")))
            begin = None
    if begin is not None:
        pauses.append((begin, None))
    return ScenarioClock(exercise.started_at or exercise.start_at, exercise.speed, tuple(pauses))
