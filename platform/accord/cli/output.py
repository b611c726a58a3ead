"""Shared plumbing for CLI commands: one transaction per command, clear errors, --json output."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from accord.db import database
from accord.dberrors import explain
from accord.errors import AccordError
from accord.models.audit import AuditEvent

P = ParamSpec("P")
R = TypeVar("R")

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


class CommandError(click.ClickException):
    """A one-line error; exits with status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def operator() -> str:
    """Who runs the command, for the audit log: ``cli:<login name>`` of the local account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in the environment or the password database
        return "cli"


def _audit_operator(session: Session, _context: object, _instances: object) -> None:
    """Before each flush: name the local operator on audit events without an actor (rule 6)."""
    for obj in session.new:
        if isinstance(obj, AuditEvent) and obj.actor_id is None and obj.actor_name is None:
            obj.actor_name = operator()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session for one command: committed if the command succeeds, rolled back otherwise."""
    session = database(current_app).sessionmaker()
    event.listen(session, "before_flush", _audit_operator)
    try:
        yield session
        session.commit()
    except AccordError as exc:
        session.rollback()
        raise CommandError(exc.description) from None
    except IntegrityError as exc:
        session.rollback()
        raise CommandError(f"conflicts with existing data: {exc.orig}") from None
    except (OperationalError, ProgrammingError) as exc:
        session.rollback()
        raise CommandError(explain(exc, current_app.config["DATABASE_URL"])) from None
    except DBAPIError as exc:  # e.g. a value PostgreSQL rejects that no service check caught
        session.rollback()
        raise CommandError(f"the database refused the change: {exc.orig}") from None
    finally:
        session.close()


def app_command(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` inside the app context (the app comes from ``ACCORD_*`` settings)."""
    return with_appcontext(func)


def emit(as_json: bool, data: Any, text: str | list[str]) -> None:
    """Print ``data`` as JSON or ``text`` for people."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for line in [text] if isinstance(text, str) else text:
        click.echo(line)


def table(rows: Sequence[Sequence[object]], headers: list[str]) -> list[str]:
    """A plain aligned text table (cells are shown with ``str``)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(str(cell))) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return [line.rstrip() for line in lines]


def read_secret_stdin() -> str:
    """One line from standard input, without its newline."""
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise CommandError("no password on standard input")
    return value

