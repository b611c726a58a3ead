"""The ``accord exercise`` click group and helpers its commands share."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from sqlalchemy.orm import Session

from accord.cli.output import CommandError
from accord.models.users import User
from accord.services import lookup
from exercises.models import Exercise

as_option = click.option("--as", "as_user", default=None, metavar="USERNAME",
                         help="Record the action under this user (default: the CLI).")


@click.group("exercise")
def exercise_group() -> None:
    """Joint tabletop exercises: scenarios, runs, live control, evaluation, reports."""


def actor(session: Session, username: str | None) -> User | None:
    return lookup.user(session, username) if username else None


def read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None


def write_output(text: str, output: str | None) -> None:
    """Print ``text`` or write it to ``output``."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc}") from None
    click.echo(f"Wrote {output}")


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``placeholder=value`` options as a dict."""
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise CommandError(f"{option}: write PLACEHOLDER=VALUE, not {value!r}")
        result[key.strip()] = rest.strip()
    return result


def sync(exercise: Exercise) -> None:
    """After the command's transaction committed: bring the scheduler's jobs in line."""
    from exercises.runs import job_sync  # APScheduler: only for commands that change a run

    job_sync.sync_jobs(current_app, exercise.id)
