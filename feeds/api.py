"""JSON API for feeds under ``/api/v1/feeds`` (admins only; credentials are write-only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from accord import jsonbody
from accord.auth import authenticate, require_admin
from accord.db import get_session
from accord.errors import BadRequest
from accord.scheduler.lease import scheduler_state
from accord.services.fields import whole_number
from feeds import engine, scheduling, sources

bp = Blueprint("feeds", __name__, url_prefix="/api/v1/feeds")

CREATE_FIELDS = {"name", "kind", "collection", "partner_team", "settings", "interval", "cron",
                 "enabled", "max_tlp", "auth", "username", "secret"}


@bp.before_request
def _authenticate() -> None:
    """Feeds move data between hubs: managing them (reading included) is an admin task, so it
    needs an admin whose credential carries the ``admin`` scope."""
    require_admin(authenticate(get_session()))


def _body() -> dict[str, Any]:
    data = jsonbody.request_object()
    unknown = set(data) - CREATE_FIELDS
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    return data


@bp.get("")
def list_feeds() -> ResponseReturnValue:
    feeds = sources.list_feeds(get_session())
    return jsonify(feeds=[sources.describe(current_app, feed) for feed in feeds])


@bp.post("")
def create() -> ResponseReturnValue:
    data = _body()
    session = get_session()
    feed = sources.create_feed(
        session, current_app, name=str(data.get("name") or ""), kind=str(data.get("kind") or ""),
        collection=str(data.get("collection") or ""),
        partner_team=str(data.get("partner_team") or ""), settings=data.get("settings") or {},
        interval=data.get("interval"), cron=data.get("cron"),
        enabled=bool(data.get("enabled", True)), max_tlp=data.get("max_tlp"),
        auth=str(data.get("auth") or "none"), username=data.get("username"),
        secret=data.get("secret"))
    session.commit()
    scheduling.sync_job(current_app, feed)
    return jsonify(sources.describe(current_app, feed)), 201


@bp.get("/<ref>")
def show(ref: str) -> ResponseReturnValue:
    return jsonify(sources.describe(current_app, sources.get_feed(get_session(), ref)))


@bp.patch("/<ref>")
def update(ref: str) -> ResponseReturnValue:
    session = get_session()
    feed = sources.update_feed(session, current_app, sources.get_feed(session, ref), _body())
    session.commit()
    scheduling.sync_job(current_app, feed)
    return jsonify(sources.describe(current_app, feed))


@bp.delete("/<ref>")
def remove(ref: str) -> ResponseReturnValue:
    session = get_session()
    feed = sources.get_feed(session, ref)
    feed_id = str(feed.id)
    sources.delete_feed(session, feed)
    session.commit()
    scheduling.remove_job(current_app, feed_id)
    return "", 204


@bp.post("/<ref>/run")
def run_now(ref: str) -> ResponseReturnValue:
    feed = sources.get_feed(get_session(), ref)
    run = engine.run_feed(current_app, feed.id, trigger="manual")
    assert run is not None  # manual runs are never skipped
    return jsonify(sources.run_summary(run))


@bp.get("/<ref>/runs")
def runs(ref: str) -> ResponseReturnValue:
    session = get_session()
    feed = sources.get_feed(session, ref)
    limit = whole_number(request.args.get("limit", "20"), "limit", minimum=1, maximum=500)
    return jsonify(runs=[sources.run_summary(r) for r in sources.recent_runs(session, feed,
                                                                             limit)])


@bp.get("/status")
def status() -> ResponseReturnValue:
    feeds = sources.list_feeds(get_session())
    shown = ("name", "kind", "health", "failures", "last_run_at", "last_success_at",
             "last_error", "backoff_until")
    return jsonify(scheduler=scheduler_state(current_app),
                   feeds=[{key: value for key, value in sources.describe(current_app, f).items()
                           if key in shown} for f in feeds])
