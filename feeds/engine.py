"""One run of one feed: claim it, move data page by page, record the FeedRun, back off on failure.

Every page is stored together with its watermark and the run's counters in one transaction
(rule 1), so a run killed at any point resumes from the last stored page on the next run. A
feed is claimed through its run lock (:mod:`feeds.runlock`), so runs never overlap, not even
across processes, and a lock left by a dead process is taken over at once. A run stopped by
SIGTERM or a lost scheduler lease ends ``interrupted``; skipped scheduled runs are recorded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from accord import audit
from accord.db import database, utcnow
from accord.errors import Conflict, NotFound
from accord.models.users import User
from feeds import remote, runlock
from feeds.context import (
    RunContext,
    RunInterrupted,
    add_reasons,
    limits,
    service_user,
    settings,
)
from feeds.listrun import run_list
from feeds.models import FeedKind, FeedRun, FeedSource, RunOutcome
from feeds.policy import assert_live_collection
from feeds.runlock import claim
from feeds.taxiiruns import run_pull, run_push
from feeds.transport import Cancelled

log = logging.getLogger("accord.feeds")
__all__ = ["backoff_delay", "claim", "feeds_user", "run_feed", "service_user", "settings"]


def backoff_delay(app: Flask, failures: int) -> timedelta:
    """Exponential backoff, capped: base, 2*base, 4*base, ... up to the cap."""
    base = float(settings(app, "BACKOFF_SECONDS", 60))
    cap = float(settings(app, "BACKOFF_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, failures - 1)))


def feeds_user(session: Session, feed: FeedSource) -> User:
    """The service account of the team owning the feed's local collection."""
    return service_user(session, feed.collection.owner_team)


def _close_stale_runs(session: Session, feed: FeedSource) -> None:
    """Runs left ``running`` by a killed process are marked interrupted."""
    for stale in session.scalars(select(FeedRun).where(
            FeedRun.feed_id == feed.id, FeedRun.outcome == RunOutcome.RUNNING)):
        stale.outcome = RunOutcome.INTERRUPTED
        stale.finished_at = stale.finished_at or utcnow()
        stale.error = stale.error or "the process running this feed stopped before it finished"


RUNNERS: dict[FeedKind, Callable[[RunContext], None]] = {
    FeedKind.TAXII_PULL: run_pull, FeedKind.TAXII_PUSH: run_push, FeedKind.LIST: run_list}


def _finish(session: Session, feed: FeedSource, run: FeedRun, error: str | None,
            app: Flask, holder: str, interrupted: bool = False) -> None:
    now = utcnow()
    run.finished_at = now
    feed.last_run_at = now
    if interrupted:
        run.outcome = RunOutcome.INTERRUPTED
        run.error = error
    elif error is None:
        run.outcome = RunOutcome.SUCCESS
        feed.failures = 0
        feed.backoff_until = None
        feed.last_error = None
        feed.last_success_at = now
    else:
        run.outcome = RunOutcome.FAILED
        run.error = error
        feed.failures += 1
        feed.backoff_until = now + backoff_delay(app, feed.failures)
        feed.last_error = error
    session.flush()
    session.execute(  # only our own lock: after a takeover the lock is someone else's
        update(FeedSource).where(FeedSource.id == feed.id, FeedSource.lock_holder == holder)
        .values(lock_holder=None, lock_until=None).execution_options(synchronize_session=False))
    audit.record(session, "feed.run", actor_name="feeds", team=feed.partner_team,
                 target_type="feed", target_id=feed.id, outcome=run.outcome.value,
                 details={"feed": feed.name, "run": str(run.id), "stored": run.stored,
                          "fetched": run.fetched, "error": error})
    session.commit()


def _partner(feed: FeedSource) -> str:
    return urlsplit(str(feed.settings.get("url", ""))).netloc.lower()


def busy_partner(app: Flask, session: Session, feed: FeedSource) -> str | None:
    """Why the feed's partner already has enough runs going (``FEEDS_MAX_RUNS_PER_HOST``).

    One slow partner then holds at most that many of the scheduler's partner threads, and
    feeds of other partners keep their turn.
    """
    limit = int(settings(app, "MAX_RUNS_PER_HOST", 2))
    host = _partner(feed)
    if not host:
        return None
    running = [other for other in session.scalars(select(FeedSource).where(
        FeedSource.lock_holder.is_not(None), FeedSource.id != feed.id))
        if _partner(other) == host
        and runlock.is_live(session, other.lock_holder, other.lock_until)]
    if len(running) < limit:
        return None
    return f"{len(running)} runs to {host} are already going; waiting for that partner"


def _serialize_partner(session: Session, feed: FeedSource) -> None:
    """Make checking a partner's runs and claiming a feed atomic, until the next commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:partner))"),
                        {"partner": f"accord-feeds:{_partner(feed)}"})
    else:  # SQLite: any write takes the database's one write lock until the commit
        session.execute(update(FeedSource).where(FeedSource.id == feed.id)
                        .values(lock_holder=FeedSource.lock_holder)
                        .execution_options(synchronize_session=False))


def _skip(session: Session, feed: FeedSource, reason: str) -> None:
    """Record a scheduled run that did not happen, and why."""
    now = utcnow()
    session.add(FeedRun(feed_id=feed.id, trigger="schedule", started_at=now, finished_at=now,
                        outcome=RunOutcome.SKIPPED, error=reason, reasons=[]))
    session.commit()


def run_feed(app: Flask, feed_id: uuid.UUID, trigger: str = "manual",
             on_page: Callable[[FeedRun], None] | None = None) -> FeedRun | None:
    """Run one feed now. Scheduled runs skip disabled feeds and feeds backing off.

    ``on_page`` hears the run's counters after each page (``accord feeds run`` shows them).
    Returns the finished FeedRun (None when a scheduled run was skipped; the skip is recorded
    as a ``skipped`` run); raises Conflict if another run of the feed is in progress.
    """
    lock = float(settings(app, "RUN_LOCK_SECONDS", 300))
    session = database(app).sessionmaker()
    try:
        feed = session.get(FeedSource, feed_id)
        if feed is None:
            raise NotFound(f"feed {feed_id} not found")
        scheduled = trigger == "schedule"
        if scheduled and not feed.enabled:
            return None
        if scheduled and feed.backoff_until is not None and feed.backoff_until > utcnow():
            _skip(session, feed, f"backing off after {feed.failures} failures until "
                                 f"{feed.backoff_until.isoformat()}")
            return None
        assert_live_collection(feed.collection)
        if scheduled:
            _serialize_partner(session, feed)  # held until claim() commits
            busy = busy_partner(app, session, feed)
            if busy is not None:
                session.rollback()
                _skip(session, feed, busy)
                return None
        holder = runlock.new_holder(session)
        if not claim(session, feed.id, holder, lock):
            if scheduled:
                _skip(session, feed, "the previous run of this feed is still going")
                return None
            raise Conflict(f"feed {feed.name!r} is already running")
        session.refresh(feed)
        _close_stale_runs(session, feed)
        run = FeedRun(feed_id=feed.id, trigger=trigger, started_at=utcnow(), reasons=[])
        session.add(run)
        session.commit()
        error: str | None = None
        interrupted = False
        try:
            RUNNERS[feed.kind](RunContext(app, session, feed, run, holder, lock, on_page))
        except Exception as exc:  # any failure is recorded on the run, never lost
            session.rollback()
            interrupted = isinstance(exc, (RunInterrupted, Cancelled))
            error = str(exc) if interrupted else remote.describe(
                exc, limits(app, feed).timeout)
            log.warning("feed %s %s: %s", feed.name,
                        "interrupted" if interrupted else "failed", error)
            session.refresh(feed)
            session.refresh(run)
            add_reasons(run, list(getattr(exc, "reasons", [])))  # e.g. a refused list's lines
        _finish(session, feed, run, error, app, holder, interrupted)
        return run
    finally:
        session.close()
