"""``accord scheduler``: the process that runs feed syncs and exercise injects."""

from __future__ import annotations

import signal
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
    runner.run()
    click.echo("Scheduler stopped.")
