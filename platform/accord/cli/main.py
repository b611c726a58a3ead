"""The ``accord`` command: the Flask CLI with Accord's commands (also ``flask --app accord``)."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from accord.app import create_app
from accord.cli.output import CommandError
from accord.cli.server import demo_command, serve_command
from accord.config import ConfigError


def _make_app() -> Flask:
    """The app from ``ACCORD_*`` settings; a bad setting is one clear line, not a traceback."""
    try:
        return create_app()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


cli = FlaskGroup(
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Accord: cyber cooperation hub for CERTs.",
)
cli.add_command(serve_command)
cli.add_command(demo_command)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="accord")
