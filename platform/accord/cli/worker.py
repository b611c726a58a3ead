"""``accord worker``: ingest queued add-objects envelopes (any number, on any node)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app

from accord.cli.output import CommandError, app_command
from accord.migrate import NotMigrated, check_migrated
from accord.sharing.envelope_queue import drain


@click.command("worker")
@click.option("--once", is_flag=True, help="Empty the queue once and exit.")
@click.option("--poll-seconds", default=2.0, show_default=True,
              help="How often to look for new envelopes when the queue is empty.")
@app_command
def worker_command(once: bool, poll_seconds: float) -> None:
    """Ingest big envelopes answered "pending" (ACCORD_TAXII_ASYNC_OBJECTS)."""
    try:
        check_migrated(current_app)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    total = 0
    while not stop.is_set():
        done = drain(app, stop)
        total += done
        if done:
            click.echo(f"Ingested {done} envelope(s).")
        if once:
            break
        stop.wait(poll_seconds)
    click.echo(f"Worker stopped after {total} envelope(s).")
