"""Scheduler job functions for feeds (run by ``accord scheduler``)."""

from __future__ import annotations

import logging
import uuid

from accord.errors import AccordError
from accord.scheduler.jobs import job_app
from feeds.engine import run_feed as run_feed_now

log = logging.getLogger("accord.feeds")


def run_feed(feed_id: str) -> None:
    """One scheduled run; skipped while the feed is disabled, backing off or already running."""
    try:
        run = run_feed_now(job_app(), uuid.UUID(feed_id), trigger="schedule")
    except AccordError as exc:  # removed feed, overlapping run: nothing to do this time
        log.info("feed %s: scheduled run skipped: %s", feed_id, exc.description)
        return
    if run is not None:
        log.info("feed %s: run %s %s (stored %d)", feed_id, run.id, run.outcome.value, run.stored)
