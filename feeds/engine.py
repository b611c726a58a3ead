"""One run of one feed: claim it, move data page by page, record the FeedRun, back off on failure.

Every page is stored together with its watermark and the run's counters in one transaction
(rule 1), so a run killed at any point resumes from the last stored page on the next run. A
feed is claimed through a row lock with an expiry, so runs never overlap, not even across
processes (``accord feeds run`` next to ``accord scheduler``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from accord import audit
from accord.db import database, utcnow
from accord.errors import Conflict, NotFound
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.sharing.exercise_separation import exercise_ids
from feeds import pull, push, remote, secrets
from feeds.listrun import sync_list
from feeds.models import FeedKind, FeedRun, FeedSource, RunOutcome
from feeds.policy import assert_live_collection, pull_admit, pull_verdict
from feeds.store import add_objects

log = logging.getLogger("accord.feeds")
MAX_REASONS = 100


def settings(app: Flask, key: str, default: Any) -> Any:
    """A FEEDS_* setting (``ACCORD_FEEDS_*`` in the environment)."""
    return app.config.get(f"FEEDS_{key}", default)


def backoff_delay(app: Flask, failures: int) -> timedelta:
    """Exponential backoff, capped: base, 2*base, 4*base, ... up to the cap."""
    base = float(settings(app, "BACKOFF_SECONDS", 60))
    cap = float(settings(app, "BACKOFF_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, failures - 1)))


def service_user(session: Session, team: Team) -> User:
    """The service account that authors feed writes for ``team`` (created on first use)."""
    username = f"feeds-{team.id.hex[:12]}"
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, team=team, team_id=team.id, role=Role.SERVICE,
                    display_name=f"Feed sync ({team.name})", active=True)
        session.add(user)
        session.flush()
    return user


def feeds_user(session: Session, feed: FeedSource) -> User:
    """The service account of the team owning the feed's local collection."""
    return service_user(session, feed.collection.owner_team)


def add_reasons(run: FeedRun, reasons: list[dict[str, Any]]) -> None:
    """Keep the first reasons of a run (a new list so the JSON column sees the change)."""
    if reasons and len(run.reasons) < MAX_REASONS:
        run.reasons = [*run.reasons, *reasons][:MAX_REASONS]


def claim(session: Session, feed_id: uuid.UUID, holder: str, seconds: float) -> bool:
    """Take the feed's run lock unless a live run holds it; commits."""
    now = utcnow()
    result = session.execute(
        update(FeedSource).where(FeedSource.id == feed_id,
                                 or_(FeedSource.lock_holder.is_(None), FeedSource.lock_until < now))
        .values(lock_holder=holder, lock_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False))
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def _renew(feed: FeedSource, seconds: float) -> None:
    feed.lock_until = utcnow() + timedelta(seconds=seconds)


def _close_stale_runs(session: Session, feed: FeedSource) -> None:
    """Runs left ``running`` by a killed process are marked interrupted."""
    for stale in session.scalars(select(FeedRun).where(
            FeedRun.feed_id == feed.id, FeedRun.outcome == RunOutcome.RUNNING)):
        stale.outcome = RunOutcome.INTERRUPTED
        stale.finished_at = stale.finished_at or utcnow()
        stale.error = stale.error or "the process running this feed stopped before it finished"


def _run_pull(app: Flask, session: Session, feed: FeedSource, run: FeedRun, lock: float) -> None:
    timeout = float(feed.settings.get("timeout") or settings(app, "TIMEOUT", 30))
    conn, http = remote.connection(secrets.decrypt(app, feed.secret), timeout)
    collection = remote.open_collection(feed.settings["url"], feed.settings["collection"], conn)
    author = feeds_user(session, feed)
    run.bytes = http.bytes
    for page in pull.pages(collection, http, feed.watermark,
                           match_types=feed.settings.get("match_types") or None,
                           limit=int(feed.settings.get("page_size") or 1000)):
        keep, reasons = [], []
        exercise = exercise_ids(session, [str(obj.get("id")) for obj in page.objects
                                          if isinstance(obj, dict)])
        for obj in page.objects:
            reason = pull_verdict(feed, obj, page.objects, exercise) \
                if isinstance(obj, dict) else None
            if reason is None:
                keep.append(obj)
            else:
                reasons.append({"id": obj.get("id"), "reason": reason})
        result = add_objects(session, feed.collection, author, keep, feed.partner_team,
                             admit=pull_admit(feed))
        run.pages += 1
        run.fetched += len(page.objects)
        run.dropped += len(reasons)
        run.already_known += result.known
        run.stored += result.stored
        run.rejected += len(result.rejected)
        run.bytes = http.bytes
        add_reasons(run, reasons + result.rejected)
        feed.watermark = page.watermark
        _renew(feed, lock)
        session.commit()  # the page, its watermark and the counters: one transaction


def _run_push(app: Flask, session: Session, feed: FeedSource, run: FeedRun, lock: float) -> None:
    timeout = float(feed.settings.get("timeout") or settings(app, "TIMEOUT", 30))
    conn, http = remote.connection(secrets.decrypt(app, feed.secret), timeout)
    collection = remote.open_collection(feed.settings["url"], feed.settings["collection"], conn)
    push.refresh_pending(session, feed, collection)
    session.commit()
    for batch in push.batches(session, feed, int(feed.settings.get("page_size") or 500)):
        run.pages += 1
        run.fetched += batch.read
        run.dropped += len(batch.dropped)
        add_reasons(run, batch.dropped)
        if batch.objects:
            record = push.send(collection, feed, batch, run.id)
            session.add(record)
            run.stored += record.successes
            run.rejected += record.failures
            add_reasons(run, [{"id": f["id"], "reason": f"remote: {f['message']}"}
                              for f in record.failure_details])
        feed.push_watermark = batch.last
        run.bytes = http.bytes
        _renew(feed, lock)
        session.commit()  # what was sent and the push watermark: one transaction


def _run_list(app: Flask, session: Session, feed: FeedSource, run: FeedRun, lock: float) -> None:
    timeout = float(feed.settings.get("timeout") or settings(app, "TIMEOUT", 30))
    sync_list(session, feed, run, feeds_user(session, feed), timeout)
    _renew(feed, lock)
    session.commit()


RUNNERS = {FeedKind.TAXII_PULL: _run_pull, FeedKind.TAXII_PUSH: _run_push,
           FeedKind.LIST: _run_list}


def _finish(session: Session, feed: FeedSource, run: FeedRun, error: str | None,
            app: Flask) -> None:
    now = utcnow()
    run.finished_at = now
    feed.last_run_at = now
    if error is None:
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
    feed.lock_holder = None
    feed.lock_until = None
    audit.record(session, "feed.run", actor_name="feeds", team=feed.partner_team,
                 target_type="feed", target_id=feed.id, outcome=run.outcome.value,
                 details={"feed": feed.name, "run": str(run.id), "stored": run.stored,
                          "fetched": run.fetched, "error": error})
    session.commit()


def run_feed(app: Flask, feed_id: uuid.UUID, trigger: str = "manual") -> FeedRun | None:
    """Run one feed now. Scheduled runs skip disabled feeds and feeds backing off.

    Returns the finished FeedRun (None when a scheduled run was skipped); raises Conflict if
    another run of the feed is in progress.
    """
    lock = float(settings(app, "RUN_LOCK_SECONDS", 300))
    holder = uuid.uuid4().hex
    session = database(app).sessionmaker()
    try:
        feed = session.get(FeedSource, feed_id)
        if feed is None:
            raise NotFound(f"feed {feed_id} not found")
        if trigger == "schedule" and (not feed.enabled or (
                feed.backoff_until is not None and feed.backoff_until > utcnow())):
            return None
        assert_live_collection(feed.collection)
        if not claim(session, feed.id, holder, lock):
            raise Conflict(f"feed {feed.name!r} is already running")
        session.refresh(feed)
        _close_stale_runs(session, feed)
        run = FeedRun(feed_id=feed.id, trigger=trigger, started_at=utcnow(), reasons=[])
        session.add(run)
        session.commit()
        error: str | None = None
        try:
            RUNNERS[feed.kind](app, session, feed, run, lock)
        except Exception as exc:  # any failure is recorded on the run, never lost
            session.rollback()
            timeout = float(feed.settings.get("timeout") or settings(app, "TIMEOUT", 30))
            error = remote.describe(exc, timeout)
            log.warning("feed %s failed: %s", feed.name, error)
            session.refresh(feed)
            session.refresh(run)
        _finish(session, feed, run, error, app)
        return run
    finally:
        session.close()

