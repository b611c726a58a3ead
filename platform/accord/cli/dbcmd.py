"""``accord db``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app

from accord.cli.output import CommandError, app_command
from accord.cli.progress import Progress
from accord.dberrors import where
from accord.migrate import NotMigrated, check_migrated, pending, upgrade


@click.group("db")
def db_group() -> None:
    """Database schema management."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@app_command
def db_upgrade(revision: str, quiet: bool) -> None:
    """Create or update the schema (safe to run repeatedly).

    Shows each migration as it is applied on standard error (a progress bar on a terminal),
    then one line saying whether it created, upgraded or found the schema current.
    """
    place = where(current_app.config["DATABASE_URL"])
    if not quiet:
        click.echo(f"Upgrading the Accord schema in {place} ...")
    try:
        with Progress("Migrations", total=pending(current_app, revision),
                      quiet=quiet) as progress:
            result = upgrade(current_app, revision,
                             lambda step: progress.advance(detail=f"applied {step}"))
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    if not quiet:
        click.echo(result.describe(place))


@db_group.command("check")
@app_command
def db_check() -> None:
    """Exit non-zero unless the schema matches this version."""
    try:
        check_migrated(current_app)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    click.echo("Database schema is current.")
