"""taxii21-pull: read a remote collection page by page from the feed's watermark.

Follows ``more``/``next`` (TAXII 2.1 §3.4); when a server answers ``more`` without ``next``
(servers that only honour ``added_after``), continues from the page's
``X-TAXII-Date-Added-Last``. Each request asks ``added_after`` one microsecond before the
watermark: objects sharing the watermark's timestamp come back and are recognised as already
known, so none that shares a timestamp with the last stored one is ever missed.

A remote is not trusted to be sane: an element of ``objects`` that is not an object is a
failure of that element alone; a malformed or future ``X-TAXII-Date-Added-Last`` is ignored
with a note (the watermark never moves past what the page held, nor past the hub's clock plus a
small skew); a ``next`` seen before with nothing new, or pages that bring nothing new, stop the
run with an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from taxii2client.v21 import Collection

from feeds.transport import GuardedSession

OVERLAP = timedelta(microseconds=1)
MANIFEST_CHUNK = 40
CLOCK_SKEW = timedelta(minutes=5)
STALL_PAGES = 3


class PullError(RuntimeError):
    """The remote broke the pagination contract (the message says how)."""

    plain_message = True  # the run's error is the message itself


@dataclass
class Page:
    """One page of remote objects, the watermark to store with it, and what was wrong."""

    objects: list[dict[str, Any]]
    watermark: str | None
    bytes: int
    invalid: list[dict[str, Any]] = field(default_factory=list)  # per-element failures
    notes: list[dict[str, Any]] = field(default_factory=list)  # headers ignored, and why


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


def _usable(stamp: Any, now: datetime) -> datetime | None:
    """``stamp`` as a time if it is a well-formed TAXII timestamp not in the future."""
    if not isinstance(stamp, str):
        return None
    try:
        moment = parse_timestamp(stamp)
    except ValueError:
        return None
    return moment if moment <= now + CLOCK_SKEW else None


def _newest_date_added(collection: Collection, objects: list[dict[str, Any]],
                       now: datetime) -> str | None:
    """Fallback without a usable header: the newest sane date_added in the page's manifest."""
    ids = sorted({str(obj.get("id")) for obj in objects})
    newest: tuple[datetime, str] | None = None
    for start in range(0, len(ids), MANIFEST_CHUNK):
        manifest = collection.get_manifest(id=",".join(ids[start:start + MANIFEST_CHUNK]),
                                           version="all")
        records = manifest.get("objects") if isinstance(manifest, dict) else None
        for record in records if isinstance(records, list) else []:
            stamp = record.get("date_added") if isinstance(record, dict) else None
            moment = _usable(stamp, now)
            if moment is not None and (newest is None or moment > newest[0]):
                newest = (moment, str(stamp))
    return newest[1] if newest else None


def _split(raw: list[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Objects, and a failure for each element that is not an object with an id."""
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for index, element in enumerate(raw):
        if isinstance(element, dict) and isinstance(element.get("id"), str):
            good.append(element)
        else:
            kind = "null" if element is None else type(element).__name__
            bad.append({"id": None, "reason": f"element {index} of the page's 'objects' is "
                                              f"{kind}, not a STIX object with an id"})
    return good, bad


def _page_watermark(collection: Collection, header: str | None, objects: list[dict[str, Any]],
                    now: datetime, notes: list[dict[str, Any]]) -> str | None:
    """The date_added to resume after this page: the header if sane, else the manifest's."""
    if not objects:
        return None  # nothing stored: the watermark stays where it is
    if header is not None:
        if _usable(header, now) is not None:
            return header
        try:
            parse_timestamp(header)
            why = "is in the future"
        except ValueError:
            why = "is malformed"
        notes.append({"id": None, "reason": f"ignored X-TAXII-Date-Added-Last {header[:40]!r}: "
                                            f"it {why}"})
    return _newest_date_added(collection, objects, now)


class _Progress:
    """Stops a run whose pages bring nothing new (pagination loops).

    A ``next`` seen before is a loop only if its page brought nothing new: some servers
    (medallion) keep one ``next`` token for a whole paging session.
    """

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.seen: set[tuple[str, str]] = set()
        self.stalled = 0
        self.fresh = True

    def page(self, objects: list[dict[str, Any]]) -> None:
        keys = {(str(o.get("id")), str(o.get("modified") or o.get("created") or ""))
                for o in objects}
        self.fresh = bool(keys - self.seen)
        self.seen |= keys
        self.stalled = 0 if self.fresh else self.stalled + 1
        if self.stalled >= STALL_PAGES:
            raise PullError(f"remote keeps saying 'more' but its last {STALL_PAGES} pages "
                            "brought nothing new; stopping (pagination loop)")

    def token(self, token: str) -> None:
        if token in self.tokens and not self.fresh:
            raise PullError(f"remote sent the 'next' token {token[:40]!r} again with nothing "
                            "new; stopping (pagination loop)")
        self.tokens.add(token)


def pages(collection: Collection, http: GuardedSession, watermark: str | None, *,
          match_types: list[str] | None = None, limit: int = 1000, max_pages: int = 100_000,
          clock: Callable[[], datetime], complete: bool = False) -> Iterator[Page]:
    """Yield remote pages newer than ``watermark``, each with the watermark after it.

    ``complete``: the previous run read through to the remote's last page, so every object
    dated ``watermark`` is stored already; ask strictly after it instead of re-reading the ties
    (servers such as medallion give one POST's objects one date_added).
    """
    filters: dict[str, Any] = {"limit": limit}
    if match_types:
        filters["type"] = ",".join(match_types)
    after = (format_timestamp(parse_timestamp(watermark)) if complete and watermark
             else added_after(watermark))
    next_token: str | None = None
    progress = _Progress()
    for _ in range(max_pages):
        query = dict(filters, added_after=after) if after else dict(filters)
        if next_token:
            query["next"] = next_token
        before = http.bytes
        envelope = collection.get_objects(**query)
        if not isinstance(envelope, dict):
            raise PullError("remote sent something other than a TAXII envelope")
        raw = envelope.get("objects") or []
        if not isinstance(raw, list):
            raise PullError("remote envelope's 'objects' is not a list")
        objects, invalid = _split(raw)
        response = http.last_response
        header = response.headers.get("X-TAXII-Date-Added-Last") if response is not None else None
        notes: list[dict[str, Any]] = []
        last = _page_watermark(collection, header, objects, clock(), notes)
        yield Page(objects, last or watermark, http.bytes - before, invalid, notes)
        if last is not None:
            watermark = last
        if not envelope.get("more"):
            return
        progress.page(objects)
        if envelope.get("next"):
            next_token = str(envelope["next"])
            progress.token(next_token)
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
