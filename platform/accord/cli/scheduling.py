"""``accord scheduler``: the process that runs feed syncs and exercise injects."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask import current_app

from accord.cli.output import CommandError, app_command
from accord.migrate import NotMigrated, check_migrated
from accord.scheduler.runner import SchedulerRunner


@click.command("scheduler")
@click.option("--lease-seconds", default=30.0, show_default=True,
              help="Leadership lease; a standby takes over this long after a crash.")
@app_command
def scheduler_command(lease_seconds: float) -> None:
    """Run scheduled jobs (one active process; start more as hot standbys)."""
    try:
        check_migrated(current_app)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    runner = SchedulerRunner(current_app._get_current_object(),  # type: ignore[attr-defined]
                             lease_seconds=lease_seconds)

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        runner.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"Scheduler {runner.lease.holder} started; waiting for the lease.")
    with scheduler_log_to_stdout():
        runner.run()
    click.echo("Scheduler stopped.")


@contextmanager
def scheduler_log_to_stdout() -> Iterator[None]:
    """Leadership changes and job runs (the ``accord.scheduler`` logger) on standard output,
    one timestamped line each, while the command runs."""
    logger = logging.getLogger("accord.scheduler")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                           "%Y-%m-%dT%H:%M:%SZ"))
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    previous = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
