"""The pull and push runs of TAXII feeds: page by page, each page committed with its watermark.

Every page is stored together with its watermark and the run's counters in one transaction
(rule 1), so a run stopped at any point resumes from the last stored page on the next run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accord.db import utcnow
from accord.sharing.exercise_separation import exercise_ids
from feeds import pull, push, remote, secrets
from feeds.context import RunContext, add_reasons
from feeds.models import FeedRun, RunOutcome
from feeds.policy import pull_admit, pull_verdicts, refuse_unencrypted
from feeds.prefetch import read_ahead
from feeds.store import add_objects


def run_pull(ctx: RunContext) -> None:
    """Store the remote's objects newer than the watermark."""
    feed, run, session = ctx.feed, ctx.run, ctx.session
    push.require_agreement(session, feed)
    complete = _previous_run_completed(ctx)
    author = ctx.author()
    session.commit()  # no write may wait on the remote: on SQLite it would stall the hub
    conn, http = remote.connection(secrets.decrypt(ctx.app, feed.secret), ctx.limits())
    collection = remote.open_collection(feed.settings["url"], feed.settings["collection"], conn)
    run.bytes = http.bytes  # flushed with the first page, never while a request waits
    pages = pull.pages(collection, http, feed.watermark,
                       match_types=feed.settings.get("match_types") or None,
                       limit=int(feed.settings.get("page_size") or 1000), clock=utcnow,
                       complete=complete)
    for page in read_ahead(pages, http):  # the next page is read while this one is stored
        keep, reasons = [], []
        exercise = exercise_ids(session, [str(obj.get("id")) for obj in page.objects
                                          if isinstance(obj, dict)])
        for obj, reason in zip(page.objects, pull_verdicts(feed, page.objects, exercise),
                               strict=True):
            if reason is None:
                keep.append(obj)
            else:
                reasons.append({"id": obj.get("id"), "reason": reason})
        keep, refused = refuse_unencrypted(session, feed, keep)
        reasons += refused
        result = add_objects(session, feed.collection, author, keep, feed.partner_team,
                             admit=pull_admit(feed))
        run.pages += 1
        run.fetched += len(page.objects) + len(page.invalid)
        run.dropped += len(reasons)
        run.already_known += result.known
        run.stored += result.stored
        run.rejected += len(result.rejected) + len(page.invalid)
        run.bytes += page.bytes  # the pages stored so far, not the one read ahead
        add_reasons(run, page.notes + page.invalid + reasons + result.rejected)
        feed.watermark = page.watermark
        ctx.checkpoint()
        session.commit()  # the page, its watermark and the counters: one transaction


def _previous_run_completed(ctx: RunContext) -> bool:
    """Whether the feed's last run (skips aside) read the remote to its end, successfully."""
    previous = ctx.session.scalar(
        select(FeedRun.outcome).where(FeedRun.feed_id == ctx.feed.id, FeedRun.id != ctx.run.id,
                                      FeedRun.outcome != RunOutcome.SKIPPED)
        .order_by(FeedRun.started_at.desc()).limit(1))
    return previous == RunOutcome.SUCCESS


def run_push(ctx: RunContext) -> None:
    """Send the local objects added after the push watermark, sized to the remote's limit."""
    feed, run, session = ctx.feed, ctx.run, ctx.session
    push.require_agreement(session, feed)
    conn, http = remote.connection(secrets.decrypt(ctx.app, feed.secret), ctx.limits())
    collection = remote.open_collection(feed.settings["url"], feed.settings["collection"], conn)
    max_bytes = remote.max_content_length(collection)
    push.refresh_pending(session, feed, collection)
    session.commit()
    for batch in push.batches(session, feed, int(feed.settings.get("page_size") or 500),
                              str(ctx.app.config["HUB_NAME"])):
        run.pages += 1
        run.fetched += batch.read
        run.dropped += len(batch.dropped)
        add_reasons(run, batch.dropped)
        new = push.not_held(collection, batch.objects) if batch.objects else []
        run.already_known += len(batch.objects) - len(new)
        groups, too_large = push.envelopes(new, max_bytes)
        refused: list[dict[str, Any]] = list(too_large)
        for group in groups:
            delivery = push.deliver(collection, group)
            if not delivery.statuses and delivery.refused:
                collection.refresh()  # the remote must be up to blame the objects, else fail
            for status in delivery.statuses:
                record = push.record(feed, batch, status, run.id)
                session.add(record)
                run.stored += record.successes
                run.rejected += record.failures
                add_reasons(run, [{"id": f["id"], "reason": f"remote: {f['message']}"}
                                  for f in record.failure_details])
            refused += delivery.refused
        run.dropped += len(refused)
        add_reasons(run, refused)
        feed.push_watermark = batch.last
        run.bytes = http.bytes
        ctx.checkpoint()
        session.commit()  # what was sent and the push watermark: one transaction
