"""One run of a list feed: fetch the list, add new values, keep known ones, expire the missing.

The whole list is one page: indicators and value states change in one transaction. Expiring
is what a broken download would spread to every partner, so a download that is not a list
(an HTML page, an empty body, nothing but junk) or that shrank by more than ``max_shrink``
fails the run and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from feeds import lists
from feeds.context import RunContext, service_user, settings
from feeds.models import FeedListValue, FeedRun, FeedSource
from feeds.store import add_objects
from feeds.transport import Limits

MAX_LIST_BYTES = 50 * 1024 * 1024
MAX_SHRINK = 0.5  # refuse to expire more than half of a list at once
MIN_VALUES_FOR_SHRINK = 10


class ListRefused(RuntimeError):
    """The download is not a list this run may act on (the message says why)."""

    plain_message = True  # the run's error is the message itself

    def __init__(self, message: str, reasons: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []  # the lines rejected, kept on the failed run


def local_root(app: Flask) -> Path | None:
    """The directory list feeds may read local files from (``FEEDS_LIST_DIRECTORY``), if any."""
    configured = settings(app, "LIST_DIRECTORY", None)
    return Path(configured).resolve() if configured else None


def local_path(app: Flask, location: str) -> Path:
    """The local file a list feed names, refused unless it is under the configured directory."""
    root = local_root(app)
    if root is None:
        raise ListRefused("local list files are off (set FEEDS_LIST_DIRECTORY to allow a "
                          "directory); use an http(s) URL")
    path = (root / location.removeprefix("file://")).resolve()
    if not path.is_relative_to(root):
        raise ListRefused(f"local list files must be under {root}")
    return path


def fetch(app: Flask, location: str, limits: Limits) -> bytes:
    """The list's bytes from an http(s) URL, or a file under the configured directory."""
    if not location.startswith(("http://", "https://")):
        path = local_path(app, location)
        if not path.is_file():
            raise ListRefused("list not found (no such file)")
        if path.stat().st_size > limits.max_bytes:
            raise ListRefused(f"list is larger than {limits.max_bytes} bytes")
        return path.read_bytes()
    with limits.session() as http:
        response = http.get(location, headers={"User-Agent": "accord-feeds/1.0"})
    if response.status_code == 404:
        raise ListRefused("list not found (HTTP 404)")
    if response.status_code in (401, 403):
        raise ListRefused(f"list download refused (HTTP {response.status_code})")
    if response.status_code >= 400:
        raise ListRefused(f"list download failed (HTTP {response.status_code} "
                          f"{response.reason or ''})".replace(" )", ")"))
    if "html" in response.headers.get("Content-Type", "").lower():
        raise ListRefused("download is an HTML page, not a list; nothing expired")
    return response.content


def _check_download(text: str, parsed: lists.ParsedList, present: int, max_shrink: float
                    ) -> None:
    """Refuse a download that is not a list, or that would expire too much at once."""
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<?xml")):
        raise ListRefused("download is an HTML page, not a list; nothing expired")
    if not text.strip():
        raise ListRefused("download is empty; nothing expired")
    if not parsed.values:
        raise ListRefused(f"download holds no valid value ({len(parsed.rejected)} lines "
                          "rejected); nothing expired", parsed.rejected[:100])
    kept = len(parsed.values)
    if present >= MIN_VALUES_FOR_SHRINK and kept < present * (1 - max_shrink):
        raise ListRefused(f"list shrank from {present} to {kept} values, more than "
                          f"{max_shrink:.0%} at once; nothing expired (raise max_shrink if "
                          "this is real)")


def run_list(ctx: RunContext) -> None:
    """A list feed's run (see :func:`sync_list`)."""
    sync_list(ctx.app, ctx.session, ctx.feed, ctx.run,
              ctx.limits(int(settings(ctx.app, "MAX_LIST_BYTES", MAX_LIST_BYTES))))
    ctx.checkpoint()
    ctx.session.commit()


def sync_list(app: Flask, session: Session, feed: FeedSource, run: FeedRun,
              limits: Limits) -> None:
    """Turn the current list into indicator versions (see :mod:`feeds.lists`)."""
    body = fetch(app, feed.settings["url"], limits)
    run.bytes = len(body)
    text = body.decode("utf-8-sig", errors="replace")
    parsed = lists.parse(text, feed.settings.get("format", "lines"), feed.settings.get("column"),
                         allow_private=bool(feed.settings.get("allow_private")))
    states = {row.value: row for row in session.scalars(
        select(FeedListValue).where(FeedListValue.feed_id == feed.id))}
    present = sum(1 for state in states.values() if state.present)
    _check_download(text, parsed, present,
                    float(feed.settings.get("max_shrink", settings(app, "LIST_MAX_SHRINK",
                                                                   MAX_SHRINK))))
    clock = utcnow()
    now = clock.replace(microsecond=clock.microsecond // 1000 * 1000)  # STIX milliseconds
    labels = list(feed.settings.get("labels") or [])
    objects: list[dict[str, Any]] = []

    def version(state: FeedListValue, pattern: str, expire: bool) -> dict[str, Any]:
        """A new version: valid from its (re)appearance, until now if it disappeared."""
        valid_from = state.modified
        state.modified = now
        return lists.indicator(
            stix_id=state.indicator_id, value=state.value, pattern=pattern,
            created=state.first_seen, modified=now, valid_from=valid_from if expire else now,
            tlp=feed.max_tlp, labels=labels, author_identity=feed.partner_team.identity_id,
            valid_until=now if expire else None)

    for value, pattern in parsed.values.items():
        state = states.get(value)
        if state is None:
            state = FeedListValue(feed_id=feed.id, value=value, first_seen=now, last_seen=now,
                                  modified=now, present=True,
                                  indicator_id=lists.indicator_id(feed.id, value))
            session.add(state)
            objects.append(version(state, pattern, expire=False))
        elif not state.present:
            state.present, state.last_seen = True, now
            objects.append(version(state, pattern, expire=False))
        else:
            state.last_seen = now
            run.already_known += 1
    for value, state in states.items():
        if state.present and value not in parsed.values:
            state.present = False
            objects.append(version(state, lists.pattern_for(value)[1], expire=True))
            run.expired += 1
    author = service_user(session, feed.collection.owner_team)
    result = add_objects(session, feed.collection, author, objects, feed.partner_team)
    run.pages = 1
    run.fetched = len(parsed.values) + len(parsed.rejected)
    run.stored = result.stored
    run.already_known += result.known
    run.rejected = len(parsed.rejected) + len(result.rejected)
    run.reasons = [*parsed.rejected, *result.rejected][:100]


__all__ = ["ListRefused", "fetch", "local_path", "run_list", "sync_list"]
