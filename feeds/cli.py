"""``accord feeds ...``: manage feeds and run one now. Secrets come from stdin, never argv."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app

from accord.cli.output import (
    CommandError,
    app_command,
    emit,
    json_option,
    read_secret_stdin,
    table,
    unit_of_work,
)
from accord.cli.progress import Progress
from accord.errors import AccordError
from accord.scheduler.lease import scheduler_state
from feeds import sources
from feeds.models import FeedRun


@click.group("feeds")
def feeds_group() -> None:
    """Feed sync: TAXII pull/push with partner hubs and indicator lists."""


def _settings(url: str | None, remote_collection: str | None, match_type: tuple[str, ...],
              fmt: str | None, column: str | None, label: tuple[str, ...],
              page_size: int | None, timeout: float | None,
              guards: dict[str, Any]) -> dict[str, Any]:
    values = {"url": url, "collection": remote_collection, "match_types": list(match_type),
              "format": fmt, "column": column, "labels": list(label), "page_size": page_size,
              "timeout": timeout, **guards}
    return {key: value for key, value in values.items() if value not in (None, [], "")}


def _guards(deadline: float | None, max_shrink: float | None, allow_private: bool | None
            ) -> dict[str, Any]:
    return {"deadline": deadline, "max_shrink": max_shrink, "allow_private": allow_private}


def _secret(auth: str, secret_stdin: bool) -> str | None:
    if auth == "none" or not secret_stdin:
        return None
    return read_secret_stdin()


settings_options = [
    click.option("--url", help="Discovery/API root URL (TAXII) or list URL/path."),
    click.option("--remote-collection", help="Remote TAXII collection id."),
    click.option("--match-type", multiple=True, help="Only these STIX types (pull)."),
    click.option("--format", "fmt", type=click.Choice(["lines", "csv"]), help="List format."),
    click.option("--column", help="CSV column name or index (list)."),
    click.option("--label", multiple=True, help="Label for list indicators."),
    click.option("--page-size", type=int, help="Objects per page/envelope."),
    click.option("--timeout", type=float, help="Seconds to wait for each read from the remote."),
    click.option("--deadline", type=float, help="Seconds one whole request may take."),
    click.option("--max-shrink", type=float,
                 help="List: largest fraction of values that may disappear in one run."),
    click.option("--allow-private/--no-allow-private", default=None,
                 help="List: accept private, loopback and link-local addresses."),
    click.option("--interval", type=int, help="Run every N seconds."),
    click.option("--cron", help="Run on a crontab schedule, in ACCORD_SCHEDULER_TIMEZONE "
                            "(UTC unless set)."),
    click.option("--max-tlp", help="Pull/push TLP limit; list indicator TLP."),
    click.option("--auth", type=click.Choice(["none", "basic", "bearer"])),
    click.option("--username", help="Basic auth user."),
    click.option("--secret-stdin", is_flag=True, help="Read the password/token from stdin."),
]


def with_settings(func: Any) -> Any:
    for option in reversed(settings_options):
        func = option(func)
    return func


@feeds_group.command("add")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["taxii21-pull", "taxii21-push", "list"]))
@click.option("--collection", required=True, help="Local collection (id, alias or title).")
@click.option("--partner-team", required=True, help="Team the data is attributed to / sent to.")
@click.option("--disabled", is_flag=True)
@with_settings
@json_option
@app_command
def add(name: str, kind: str, collection: str, partner_team: str, disabled: bool, url: str | None,
        remote_collection: str | None, match_type: tuple[str, ...], fmt: str | None,
        column: str | None, label: tuple[str, ...], page_size: int | None,
        timeout: float | None, deadline: float | None, max_shrink: float | None,
        allow_private: bool | None, interval: int | None, cron: str | None, max_tlp: str | None,
        auth: str | None, username: str | None, secret_stdin: bool, as_json: bool) -> None:
    """Add a feed."""
    with unit_of_work() as session:
        feed = sources.create_feed(
            session, current_app, name=name, kind=kind, collection=collection,
            partner_team=partner_team,
            settings=_settings(url, remote_collection, match_type, fmt, column, label,
                               page_size, timeout, _guards(deadline, max_shrink, allow_private)),
            interval=interval, cron=cron, enabled=not disabled, max_tlp=max_tlp,
            auth=auth or "none", username=username, secret=_secret(auth or "none", secret_stdin))
    _sync(feed)
    emit(as_json, sources.describe(current_app, feed), f"Feed {feed.name} added ({feed.id}).")


def _sync(feed: Any) -> None:
    from feeds import scheduling  # APScheduler: imported by the commands that need it

    try:
        scheduling.sync_job(current_app, feed)
    except AccordError as exc:
        raise CommandError(exc.description) from None


@feeds_group.command("update")
@click.argument("name")
@click.option("--rename")
@click.option("--collection")
@click.option("--partner-team")
@with_settings
@json_option
@app_command
def update(name: str, rename: str | None, collection: str | None, partner_team: str | None,
           url: str | None, remote_collection: str | None, match_type: tuple[str, ...],
           fmt: str | None, column: str | None, label: tuple[str, ...], page_size: int | None,
           timeout: float | None, deadline: float | None, max_shrink: float | None,
           allow_private: bool | None, interval: int | None, cron: str | None,
           max_tlp: str | None, auth: str | None, username: str | None, secret_stdin: bool,
           as_json: bool) -> None:
    """Change a feed; only the options given change."""
    changes: dict[str, Any] = {key: value for key, value in {
        "name": rename, "collection": collection, "partner_team": partner_team,
        "interval": interval, "cron": cron, "max_tlp": max_tlp}.items() if value is not None}
    settings = _settings(url, remote_collection, match_type, fmt, column, label, page_size,
                         timeout, _guards(deadline, max_shrink, allow_private))
    if settings:
        changes["settings"] = settings
    if auth is not None:
        changes.update(auth=auth, username=username, secret=_secret(auth, secret_stdin))
    with unit_of_work() as session:
        feed = sources.update_feed(session, current_app, sources.get_feed(session, name), changes)
    _sync(feed)
    emit(as_json, sources.describe(current_app, feed), f"Feed {feed.name} updated.")


def _set_enabled(name: str, enabled: bool) -> None:
    with unit_of_work() as session:
        feed = sources.update_feed(session, current_app, sources.get_feed(session, name),
                                   {"enabled": enabled})
    _sync(feed)
    click.echo(f"Feed {feed.name} {'enabled' if enabled else 'disabled'}.")


@feeds_group.command("enable")
@click.argument("name")
@app_command
def enable(name: str) -> None:
    """Enable a feed (its schedule resumes)."""
    _set_enabled(name, True)


@feeds_group.command("disable")
@click.argument("name")
@app_command
def disable(name: str) -> None:
    """Disable a feed (its job is removed)."""
    _set_enabled(name, False)


@feeds_group.command("remove")
@click.argument("name")
@app_command
def remove(name: str) -> None:
    """Remove a feed, its job and its run history (stored objects stay)."""
    with unit_of_work() as session:
        feed = sources.get_feed(session, name)
        feed_id = str(feed.id)
        sources.delete_feed(session, feed)
    from feeds import scheduling  # APScheduler: imported by the commands that need it

    scheduling.remove_job(current_app, feed_id)
    click.echo(f"Feed {name} removed.")


@feeds_group.command("list")
@json_option
@app_command
def list_command(as_json: bool) -> None:
    """List feeds."""
    with unit_of_work() as session:
        feeds = [sources.describe(current_app, f) for f in sources.list_feeds(session)]
    rows = [[f["name"], f["kind"], f["collection"]["title"], f["partner_team"],
             "yes" if f["enabled"] else "no", str(f["schedule"]["interval"] or f["schedule"]["cron"]
                                                  or "manual")] for f in feeds]
    emit(as_json, feeds, table(rows, ["NAME", "KIND", "COLLECTION", "PARTNER", "ENABLED",
                                      "SCHEDULE"]))


@feeds_group.command("show")
@click.argument("name")
@json_option
@app_command
def show(name: str, as_json: bool) -> None:
    """Show one feed (credentials masked)."""
    with unit_of_work() as session:
        data = sources.describe(current_app, sources.get_feed(session, name))
    emit(as_json, data, [f"{key}: {json.dumps(value, default=str)}" for key, value in data.items()])


@feeds_group.command("status")
@json_option
@app_command
def status(as_json: bool) -> None:
    """Health of every feed at a glance."""
    with unit_of_work() as session:
        feeds = [sources.describe(current_app, f) for f in sources.list_feeds(session)]
    scheduler = scheduler_state(current_app)
    rows = [[f["name"], f["health"], str(f["failures"]), f["last_success_at"] or "-",
             (f["last_error"] or "")[:60]] for f in feeds]
    line = f"Scheduler: {scheduler['state']}" + (
        f" ({scheduler['holder']})" if scheduler["state"] == "running"
        else f" - {scheduler['reason']}; scheduled feeds are not running")
    emit(as_json, {"scheduler": scheduler, "feeds": feeds},
         [line, *table(rows, ["NAME", "HEALTH", "FAILURES", "LAST SUCCESS", "LAST ERROR"])])


@feeds_group.command("runs")
@click.argument("name")
@click.option("--limit", default=10, show_default=True)
@json_option
@app_command
def runs(name: str, limit: int, as_json: bool) -> None:
    """Recent runs of a feed."""
    with unit_of_work() as session:
        data = [sources.run_summary(r) for r in
                sources.recent_runs(session, sources.get_feed(session, name), limit)]
    rows = [[r["started_at"][:19], r["outcome"], str(r["pages"]), str(r["fetched"]),
             str(r["stored"]), str(r["already_known"]), str(r["rejected"]), str(r["dropped"]),
             (r["error"] or "")[:50]] for r in data]
    emit(as_json, data, table(rows, ["STARTED", "OUTCOME", "PAGES", "FETCHED", "STORED", "KNOWN",
                                     "REJECTED", "DROPPED", "ERROR"]))


def _run_line(data: dict[str, Any]) -> str:
    return (f"Run {data['outcome']}: {data['pages']} pages, {data['fetched']} fetched, "
            f"{data['stored']} stored, {data['already_known']} already known, "
            f"{data['rejected']} rejected, {data['dropped']} dropped"
            + (f"; error: {data['error']}" if data["error"] else ""))


def _page_line(run: FeedRun) -> str:
    return (f"{run.pages} pages, {run.fetched:,} fetched, {run.stored:,} stored, "
            f"{run.already_known:,} already known, {run.rejected:,} rejected")


@feeds_group.command("run")
@click.argument("name")
@json_option
@click.option("--quiet", "-q", is_flag=True,
              help="No progress and no summary line; a failed run still says why.")
@app_command
def run(name: str, as_json: bool, quiet: bool) -> None:
    """Run one feed now (ignores backoff; refuses if it is already running).

    Shows progress after each page on standard error (a status line on a terminal, a line
    every few seconds otherwise), then one summary line. Exits 1 unless the run succeeded.
    """
    from feeds import engine  # the TAXII client (requests): only for a run

    with unit_of_work() as session:
        feed_id = sources.get_feed(session, name).id
    try:
        with Progress(f"Feed {name}", quiet=quiet or as_json) as progress:
            result = engine.run_feed(current_app, feed_id, trigger="manual", on_page=lambda r:
                                     progress.update(r.pages, _page_line(r)))
    except AccordError as exc:
        raise CommandError(exc.description) from None
    assert result is not None
    data = sources.run_summary(result)
    failed = result.outcome.value != "success"
    if as_json or not quiet:
        emit(as_json, data, _run_line(data))
    elif failed:
        click.echo(_run_line(data), err=True)
    if failed:
        raise SystemExit(1)
