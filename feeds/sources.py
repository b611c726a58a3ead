"""Creating, changing and describing feed sources; shared by the JSON API and the CLI."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from accord import audit
from accord.errors import BadRequest, Conflict, NotFound
from accord.services import lookup
from accord.services.collections import parse_tlp
from accord.services.fields import number, whole_number
from accord.tlp import Tlp
from feeds import lists, runlock, secrets
from feeds.models import FeedKind, FeedRun, FeedSource, RunOutcome
from feeds.policy import assert_live_collection, check_ceiling

SETTING_KEYS = {
    FeedKind.TAXII_PULL: {"url", "collection", "match_types", "page_size", "timeout", "deadline"},
    FeedKind.TAXII_PUSH: {"url", "collection", "page_size", "timeout", "deadline"},
    FeedKind.LIST: {"url", "format", "column", "labels", "timeout", "deadline", "allow_private",
                    "max_shrink"},
}
# Changing where a feed reads from or what it asks for makes its watermark meaningless.
SOURCE_KEYS = ("url", "collection", "match_types")
REQUIRED = {FeedKind.TAXII_PULL: ("url", "collection"), FeedKind.TAXII_PUSH: ("url", "collection"),
            FeedKind.LIST: ("url",)}
DEFAULT_TLP = {FeedKind.TAXII_PULL: Tlp.AMBER, FeedKind.TAXII_PUSH: Tlp.GREEN,
               FeedKind.LIST: Tlp.GREEN}
MIN_INTERVAL = 10
MAX_INTERVAL = 366 * 24 * 3600  # a year; the column is a 32-bit integer
MAX_PAGE_SIZE = 10_000
MAX_TIMEOUT = 3600


def parse_kind(text: str) -> FeedKind:
    try:
        return FeedKind(text)
    except ValueError:
        raise BadRequest(f"kind: must be one of {', '.join(k.value for k in FeedKind)}, "
                         f"not {text!r}") from None


def get_feed(session: Session, ref: str) -> FeedSource:
    """A feed by name or id."""
    feed = session.scalar(select(FeedSource).where(FeedSource.name == ref))
    if feed is None:
        try:
            feed = session.get(FeedSource, uuid.UUID(ref))
        except ValueError:
            feed = None
    if feed is None:
        raise NotFound(f"no feed named {ref!r}")
    return feed


def _check_schedule(interval: int | None, cron: str | None) -> None:
    if interval is not None and cron:
        raise BadRequest("schedule: give either interval or cron, not both")
    if interval is not None:
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise BadRequest(f"interval: must be a whole number of seconds, at least "
                             f"{MIN_INTERVAL}")
        whole_number(interval, "interval", minimum=MIN_INTERVAL, maximum=MAX_INTERVAL)
    if cron:
        from apscheduler.triggers.cron import CronTrigger  # only when a schedule is checked

        try:
            CronTrigger.from_crontab(cron, timezone="UTC")
        except ValueError as exc:
            raise BadRequest(f"cron: {exc}") from None


def _check_url(app: Flask, kind: FeedKind, url: Any) -> None:
    """TAXII remotes are http(s); a list may also be a file under ``FEEDS_LIST_DIRECTORY``."""
    if not isinstance(url, str):
        raise BadRequest("url: must be a string")
    if url.startswith(("http://", "https://")):
        return
    if kind != FeedKind.LIST:
        raise BadRequest("url: must be an http:// or https:// URL")
    from feeds.listrun import ListRefused, local_path  # the list runner (the write path)

    try:
        local_path(app, url)
    except ListRefused as exc:
        raise BadRequest(f"url: {exc}") from None


def _check_settings(kind: FeedKind, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - SETTING_KEYS[kind]
    if unknown:
        raise BadRequest(f"settings: {', '.join(sorted(unknown))} not used by {kind.value} feeds")
    cleaned = {key: value for key, value in values.items() if value not in (None, "", [])}
    for key in REQUIRED[kind]:
        if not cleaned.get(key):
            raise BadRequest(f"{key}: required for {kind.value} feeds")
    if "format" in cleaned and cleaned["format"] not in lists.FORMATS:
        raise BadRequest(f"format: must be one of {', '.join(lists.FORMATS)}")
    if "max_shrink" in cleaned and (not isinstance(cleaned["max_shrink"], int | float)
                                    or not 0 <= cleaned["max_shrink"] <= 1):
        raise BadRequest("max_shrink: must be a fraction between 0 and 1")
    if "allow_private" in cleaned and not isinstance(cleaned["allow_private"], bool):
        raise BadRequest("allow_private: must be true or false")
    for key, highest in (("page_size", MAX_PAGE_SIZE), ("timeout", MAX_TIMEOUT),
                         ("deadline", MAX_TIMEOUT)):
        if key in cleaned and (isinstance(cleaned[key], str)
                               or number(cleaned[key], key, maximum=highest) <= 0):
            raise BadRequest(f"{key}: must be a positive number")
    for key in ("match_types", "labels"):
        if key in cleaned and (not isinstance(cleaned[key], list)
                               or not all(isinstance(v, str) for v in cleaned[key])):
            raise BadRequest(f"{key}: must be a list of strings")
    return cleaned


def _checked(app: Flask, kind: FeedKind, values: dict[str, Any]) -> dict[str, Any]:
    cleaned = _check_settings(kind, values)
    _check_url(app, kind, cleaned["url"])
    return cleaned


def create_feed(session: Session, app: Flask, *, name: str, kind: str, collection: str,
                partner_team: str, settings: dict[str, Any], interval: int | None = None,
                cron: str | None = None, enabled: bool = True, max_tlp: str | None = None,
                auth: str = "none", username: str | None = None, secret: str | None = None
                ) -> FeedSource:
    """Create a feed; credentials are encrypted before they touch the database."""
    if not name or len(name) > 100:
        raise BadRequest("name: required, at most 100 characters")
    if session.scalar(select(FeedSource.id).where(FeedSource.name == name)):
        raise Conflict(f"a feed named {name!r} already exists")
    feed_kind = parse_kind(kind)
    target = lookup.collection(session, collection)
    assert_live_collection(target)
    team = lookup.team(session, partner_team)
    _check_schedule(interval, cron)
    feed = FeedSource(
        name=name, kind=feed_kind, collection=target, collection_id=target.id,
        partner_team=team, partner_team_id=team.id, enabled=enabled, interval_seconds=interval,
        cron=cron or None, settings=_checked(app, feed_kind, settings),
        max_tlp=check_ceiling(feed_kind, parse_tlp(max_tlp, "max_tlp")) if max_tlp
        else DEFAULT_TLP[feed_kind],
        secret=secrets.encrypt(app, secrets.make_credentials(auth, username, secret)),
        failures=0)
    session.add(feed)
    session.flush()
    audit.record(session, "feed.create", target_type="feed", target_id=feed.id,
                 details={"name": name, "kind": feed_kind.value, "collection": target.title})
    return feed


def update_feed(session: Session, app: Flask, feed: FeedSource, changes: dict[str, Any]
                ) -> FeedSource:
    """Apply ``changes`` (any create field except kind); credentials replace the old ones."""
    if "kind" in changes and changes["kind"] != feed.kind.value:
        raise BadRequest("kind: cannot change; create a new feed instead")
    if "name" in changes and changes["name"] != feed.name:
        if session.scalar(select(FeedSource.id).where(FeedSource.name == changes["name"])):
            raise Conflict(f"a feed named {changes['name']!r} already exists")
        feed.name = changes["name"]
    if "collection" in changes:
        target = lookup.collection(session, changes["collection"])
        assert_live_collection(target)
        feed.collection, feed.collection_id = target, target.id
    if "partner_team" in changes:
        team = lookup.team(session, changes["partner_team"])
        feed.partner_team, feed.partner_team_id = team, team.id
    if "interval" in changes or "cron" in changes:
        interval = changes.get("interval", feed.interval_seconds if "cron" not in changes else None)
        cron = changes.get("cron", feed.cron if "interval" not in changes else None)
        _check_schedule(interval, cron)
        feed.interval_seconds, feed.cron = interval, cron or None
    reset = False
    if "settings" in changes:
        new = _checked(app, feed.kind, {**feed.settings, **changes["settings"]})
        reset = any(new.get(key) != feed.settings.get(key) for key in SOURCE_KEYS)
        feed.settings = new
        if reset:  # a new source: start from its beginning, not from the old one's watermark
            feed.watermark, feed.push_watermark = None, None
    if "max_tlp" in changes:
        feed.max_tlp = check_ceiling(feed.kind, parse_tlp(changes["max_tlp"], "max_tlp"))
    if "enabled" in changes:
        feed.enabled = bool(changes["enabled"])
    if "auth" in changes:
        feed.secret = secrets.encrypt(app, secrets.make_credentials(
            changes["auth"], changes.get("username"), changes.get("secret")))
    session.flush()
    details: dict[str, Any] = {"name": feed.name,
                               "fields": sorted(k for k in changes if k != "secret")}
    if reset:
        details["watermark_reset"] = "the feed's source changed (url, collection or match types)"
    audit.record(session, "feed.update", target_type="feed", target_id=feed.id, details=details)
    return feed


def delete_feed(session: Session, feed: FeedSource) -> None:
    audit.record(session, "feed.delete", target_type="feed", target_id=feed.id,
                 details={"name": feed.name})
    session.delete(feed)
    session.flush()


def list_feeds(session: Session) -> list[FeedSource]:
    return list(session.scalars(select(FeedSource).order_by(FeedSource.name)))


def recent_runs(session: Session, feed: FeedSource, limit: int = 20) -> list[FeedRun]:
    return list(session.scalars(select(FeedRun).where(FeedRun.feed_id == feed.id)
                                .order_by(FeedRun.started_at.desc()).limit(limit)))


def run_summary(run: FeedRun) -> dict[str, Any]:
    return {
        "id": str(run.id), "trigger": run.trigger, "outcome": outcome(run),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "pages": run.pages, "fetched": run.fetched, "stored": run.stored,
        "already_known": run.already_known, "rejected": run.rejected, "dropped": run.dropped,
        "expired": run.expired, "bytes": run.bytes, "error": run.error, "reasons": run.reasons,
    }


def running(feed: FeedSource) -> bool:
    """Whether a live process is running the feed now (a dead holder's lock does not count)."""
    session = object_session(feed)
    return session is not None and runlock.is_live(session, feed.lock_holder, feed.lock_until)


def outcome(run: FeedRun) -> str:
    """The run's outcome; ``interrupted`` for a run still marked running that no one is doing."""
    if run.outcome == RunOutcome.RUNNING:
        session = object_session(run)
        feed = session.get(FeedSource, run.feed_id) if session is not None else None
        if feed is None or not running(feed):
            return RunOutcome.INTERRUPTED.value
    return run.outcome.value


def health(feed: FeedSource) -> str:
    """One word for ``status``: disabled, never-run, ok, failing or running."""
    if running(feed):
        return "running"
    if not feed.enabled:
        return "disabled"
    if feed.last_run_at is None:
        return "never-run"
    return "failing" if feed.failures else "ok"


def describe(app: Flask, feed: FeedSource) -> dict[str, Any]:
    """What the API and CLI show about a feed; credentials only masked."""
    return {
        "id": str(feed.id), "name": feed.name, "kind": feed.kind.value,
        "collection": {"id": str(feed.collection_id), "title": feed.collection.title},
        "partner_team": feed.partner_team.name, "enabled": feed.enabled,
        "schedule": {"interval": feed.interval_seconds, "cron": feed.cron},
        "max_tlp": feed.max_tlp.value, "settings": dict(feed.settings),
        "credentials": secrets.describe_stored(app, feed.secret),
        "watermark": feed.watermark,
        "push_watermark": feed.push_watermark.isoformat() if feed.push_watermark else None,
        "health": health(feed), "failures": feed.failures,
        "backoff_until": feed.backoff_until.isoformat() if feed.backoff_until else None,
        "last_run_at": feed.last_run_at.isoformat() if feed.last_run_at else None,
        "last_success_at": feed.last_success_at.isoformat() if feed.last_success_at else None,
        "last_error": feed.last_error,
    }
