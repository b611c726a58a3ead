"""``accord db``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app

from accord.cli.output import CommandError, app_command
from accord.dberrors import where
from accord.migrate import NotMigrated, check_migrated, upgrade


@click.group("db")
def db_group() -> None:
    """Database schema management."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@app_command
def db_upgrade(revision: str) -> None:
    """Create or update the schema (safe to run repeatedly)."""
    place = where(current_app.config["DATABASE_URL"])
    click.echo(f"Upgrading the Accord schema in {place} ...")
    try:
        result = upgrade(current_app, revision)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
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
