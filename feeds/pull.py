"""taxii21-pull: read a remote collection page by page from the feed's watermark.

Follows ``more``/``next`` (TAXII 2.1 §3.4); when a server answers ``more`` without ``next``
(servers that only honour ``added_after``), continues from the page's
``X-TAXII-Date-Added-Last``. Each request asks ``added_after`` one microsecond before the
watermark: objects sharing the watermark's timestamp come back and are recognised as already
known, so none that shares a timestamp with the last stored one is ever missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from taxii2client.v21 import Collection

from feeds.remote import RecordingSession

OVERLAP = timedelta(microseconds=1)
MANIFEST_CHUNK = 40


class PullError(RuntimeError):
    """The remote broke the pagination contract (the message says how)."""


@dataclass
class Page:
    """One page of remote objects and the watermark to store with it."""

    objects: list[dict[str, Any]]
    watermark: str | None
    bytes: int


def parse_timestamp(text: str) -> datetime:
    """A TAXII timestamp (``...Z``, any fraction) as aware UTC; ValueError if malformed."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 with microseconds, as ``added_after`` expects."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def added_after(watermark: str | None) -> str | None:
    """The ``added_after`` to ask for: just before the watermark, so ties come back."""
    if not watermark:
        return None
    return format_timestamp(parse_timestamp(watermark) - OVERLAP)


def _newest_date_added(collection: Collection, objects: list[dict[str, Any]]) -> str | None:
    """Fallback when no ``X-TAXII-Date-Added-Last``: the newest date_added in the manifest."""
    ids = sorted({str(obj.get("id")) for obj in objects})
    newest: str | None = None
    for start in range(0, len(ids), MANIFEST_CHUNK):
        manifest = collection.get_manifest(id=",".join(ids[start:start + MANIFEST_CHUNK]),
                                           version="all")
        for record in manifest.get("objects", []):
            stamp = record.get("date_added")
            if stamp and (newest is None or parse_timestamp(stamp) > parse_timestamp(newest)):
                newest = stamp
    return newest


def pages(collection: Collection, http: RecordingSession, watermark: str | None, *,
          match_types: list[str] | None = None, limit: int = 1000, max_pages: int = 100_000
          ) -> Iterator[Page]:
    """Yield remote pages newer than ``watermark``, each with the watermark after it."""
    filters: dict[str, Any] = {"limit": limit}
    if match_types:
        filters["type"] = ",".join(match_types)
    after = added_after(watermark)
    next_token: str | None = None
    for _ in range(max_pages):
        query = dict(filters, added_after=after) if after else dict(filters)
        if next_token:
            query["next"] = next_token
        before = http.bytes
        envelope = collection.get_objects(**query)
        if not isinstance(envelope, dict):
            raise PullError("remote sent something other than a TAXII envelope")
        objects = envelope.get("objects") or []
        if not isinstance(objects, list):
            raise PullError("remote envelope's 'objects' is not a list")
        response = http.last_response
        last = response.headers.get("X-TAXII-Date-Added-Last") if response is not None else None
        if last is None and objects:
            last = _newest_date_added(collection, objects)
        if last is not None:
            parse_timestamp(last)  # malformed header: fail the run, do not store a bad watermark
        yield Page(objects, last or watermark, http.bytes - before)
        if last is not None:
            watermark = last
        if not envelope.get("more"):
            return
        if envelope.get("next"):
            next_token = str(envelope["next"])
            continue
        if last is None:
            raise PullError("remote said 'more' but sent neither 'next' nor a date_added to "
                            "continue from")
        next_token = None
        new_after = added_after(last)
        if new_after == after or not objects:
            new_after = format_timestamp(parse_timestamp(last))  # a full page of ties: move on
        after = new_after
    raise PullError(f"stopped after {max_pages} pages; the remote keeps saying 'more'")
