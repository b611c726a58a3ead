"""What one feed run carries around: its app, session, feed, run row, lock and limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.scheduler.jobs import stop_event
from feeds import runlock
from feeds.models import FeedRun, FeedSource
from feeds.transport import Limits

MAX_REASONS = 100
MAX_RESPONSE_BYTES = 20 * 1024 * 1024


class RunInterrupted(RuntimeError):
    """The run must stop now (the scheduler is stopping, or another process took the feed)."""


def settings(app: Flask, key: str, default: Any) -> Any:
    """A FEEDS_* setting (``ACCORD_FEEDS_*`` in the environment)."""
    return app.config.get(f"FEEDS_{key}", default)


def limits(app: Flask, feed: FeedSource, max_bytes: int | None = None) -> Limits:
    """Per-read timeout, total deadline and size cap of the feed's requests."""
    return Limits(
        timeout=float(feed.settings.get("timeout") or settings(app, "TIMEOUT", 30)),
        deadline=float(feed.settings.get("deadline") or settings(app, "DEADLINE_SECONDS", 120)),
        max_bytes=int(max_bytes or settings(app, "MAX_RESPONSE_BYTES", MAX_RESPONSE_BYTES)),
        cancelled=stop_event(app).is_set)


def service_user(session: Session, team: Team) -> User:
    """The service account that authors feed writes for ``team`` (created once, race-safe).

    Two first runs may both find no account; the unique username lets one insert win and
    the other reads the winner's row instead of failing (in a savepoint, nothing else is lost).
    """
    username = f"feeds-{team.id.hex[:12]}"
    query = select(User).where(User.username == username)
    user = session.scalar(query)
    if user is not None:
        return user
    try:
        with session.begin_nested():
            user = User(username=username, team=team, team_id=team.id, role=Role.SERVICE,
                        display_name=f"Feed sync ({team.name})", active=True)
            session.add(user)
    except IntegrityError:
        user = session.scalar(query)
        if user is None:
            raise
    return user


def add_reasons(run: FeedRun, reasons: list[dict[str, Any]]) -> None:
    """Keep the first reasons of a run (a new list so the JSON column sees the change)."""
    if reasons and len(run.reasons) < MAX_REASONS:
        run.reasons = [*run.reasons, *reasons][:MAX_REASONS]


@dataclass
class RunContext:
    """One run in progress."""

    app: Flask
    session: Session
    feed: FeedSource
    run: FeedRun
    holder: str
    lock_seconds: float
    on_page: Callable[[FeedRun], None] | None = None
    """Told after each page with the run's counters (the CLI's progress display)."""

    def limits(self, max_bytes: int | None = None) -> Limits:
        return limits(self.app, self.feed, max_bytes)

    def checkpoint(self) -> None:
        """Renew the run lock before a commit, or stop if this run may not go on."""
        if stop_event(self.app).is_set():
            raise RunInterrupted("the scheduler stopped during the run (SIGTERM); the next run "
                                 "resumes from the last stored page")
        if not runlock.still_holds(self.session, self.feed, self.holder):
            raise RunInterrupted("this process no longer holds the feed's run lock (it lost the "
                                 "scheduler lease); the new leader runs the feed")
        self.feed.lock_until = utcnow() + timedelta(seconds=self.lock_seconds)
        if self.on_page is not None:
            self.on_page(self.run)

    def author(self) -> User:
        return service_user(self.session, self.feed.collection.owner_team)
