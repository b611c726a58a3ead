"""The hub's one clock: every "now" the server reads (``date_added``, deadlines, leases, run
locks, release times) comes from here, so tests move time instead of sleeping.

Production uses :class:`SystemClock`. Tests install a :class:`ManualClock` with :func:`use`;
it follows the system clock plus an offset they move with :meth:`ManualClock.advance`, so
anything that still runs on wall time (APScheduler's own wake-ups, HTTP deadlines) keeps
working beside it. The active clock is the one process-wide setting Accord has, on purpose:
a clock passed through every call would reach every service and model default.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC, microsecond precision."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """The system clock plus an offset that tests move (thread-safe)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta | None = None, /, **units: float) -> datetime:
        """Move time forward (or back with a negative delta); returns the new now."""
        step = delta if delta is not None else timedelta(**units)
        with self._lock:
            self._offset += step
        return self.now()

    def rewind_to_system(self) -> None:
        """Back to the system time (offset zero)."""
        with self._lock:
            self._offset = timedelta(0)


class _Active:
    clock: Clock = SystemClock()


_active = _Active()


def now() -> datetime:
    """Current time from the active clock."""
    return _active.clock.now()


def current() -> Clock:
    return _active.clock


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the active clock for the duration of the block."""
    previous, _active.clock = _active.clock, clock
    try:
        yield clock
    finally:
        _active.clock = previous
