"""Keeping a feed's scheduler job in step with the feed (stable job id ``feed:<id>``).

Enabled feeds with an interval or cron have a job; disabled, unscheduled or removed feeds have
none. Jobs never overlap (``max_instances=1`` in the scheduler, plus the feed's run lock), and
run in the scheduler's partner thread pool, apart from exercise injects.
"""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from accord.scheduler.jobs import PARTNER_EXECUTOR, schedule, unschedule
from feeds.models import FeedSource

JOB_FUNC = "feeds.jobs:run_feed"


def trigger_for(feed: FeedSource, timezone: str = "UTC") -> BaseTrigger | None:
    """The APScheduler trigger of a feed, or None if it should not run on its own."""
    if not feed.enabled:
        return None
    if feed.cron:
        return CronTrigger.from_crontab(feed.cron, timezone=timezone)
    if feed.interval_seconds:
        return IntervalTrigger(seconds=feed.interval_seconds, timezone=timezone)
    return None


def sync_job(app: Flask, feed: FeedSource) -> datetime | None:
    """Create, replace or remove the feed's job; returns the next run time, if any."""
    trigger = trigger_for(feed, app.config.get("SCHEDULER_TIMEZONE", "UTC"))
    if trigger is None:
        unschedule(app, feed.job_id)
        return None
    return schedule(app, feed.job_id, JOB_FUNC, trigger, args=(str(feed.id),),
                    executor=PARTNER_EXECUTOR)


def remove_job(app: Flask, feed_id: str) -> bool:
    """Remove the job of a deleted feed."""
    return unschedule(app, f"feed:{feed_id}")
