"""One run of a list feed: fetch the list, add new values, keep known ones, expire the missing.

The whole list is one page: indicators and value states change in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.users import User
from feeds import lists
from feeds.models import FeedListValue, FeedRun, FeedSource
from feeds.store import add_objects

MAX_LIST_BYTES = 50 * 1024 * 1024


def fetch(location: str, timeout: float) -> bytes:
    """The list's bytes from an http(s) URL, a file:// URL or a local path."""
    if location.startswith(("http://", "https://")):
        response = requests.get(location, timeout=timeout, stream=True,
                                headers={"User-Agent": "accord-feeds/1.0"})
        response.raise_for_status()
        body = response.raw.read(MAX_LIST_BYTES + 1, decode_content=True)
        if len(body) > MAX_LIST_BYTES:
            raise ValueError(f"list is larger than {MAX_LIST_BYTES} bytes")
        return bytes(body)
    return Path(location.removeprefix("file://")).read_bytes()


def sync_list(session: Session, feed: FeedSource, run: FeedRun, author: User,
              timeout: float) -> None:
    """Turn the current list into indicator versions (see :mod:`feeds.lists`)."""
    body = fetch(feed.settings["url"], timeout)
    run.bytes = len(body)
    parsed = lists.parse(body.decode("utf-8-sig", errors="replace"),
                         feed.settings.get("format", "lines"), feed.settings.get("column"))
    clock = utcnow()
    now = clock.replace(microsecond=clock.microsecond // 1000 * 1000)  # STIX milliseconds
    states = {row.value: row for row in session.scalars(
        select(FeedListValue).where(FeedListValue.feed_id == feed.id))}
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
    result = add_objects(session, feed.collection, author, objects, feed.partner_team)
    run.pages = 1
    run.fetched = len(parsed.values) + len(parsed.rejected)
    run.stored = result.stored
    run.already_known += result.known
    run.rejected = len(parsed.rejected) + len(result.rejected)
    run.reasons = [*parsed.rejected, *result.rejected][:100]
