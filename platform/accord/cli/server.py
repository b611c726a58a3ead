"""``accord serve``: the production server (gunicorn, optionally with the scheduler)."""

from __future__ import annotations

import click
from flask import current_app

from accord.cli.output import CommandError, app_command
from accord.migrate import NotMigrated, check_migrated
from accord.serving import serve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=None,
              help="Also run the scheduler (feeds, exercise injects) beside the server; "
                   "default: ACCORD_SCHEDULER_EMBEDDED.")
@app_command
def serve_command(host: str, port: int, workers: int, threads: int,
                  with_scheduler: bool | None) -> None:
    """Serve the hub with gunicorn (refuses an un-migrated database)."""
    try:
        check_migrated(current_app)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    embedded = current_app.config["SCHEDULER_EMBEDDED"] if with_scheduler is None \
        else with_scheduler
    serve(current_app._get_current_object(), host, port, workers, threads,  # type: ignore[attr-defined]
          with_scheduler=bool(embedded))
