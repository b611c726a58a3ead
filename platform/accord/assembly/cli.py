"""The ``accord`` command: the Flask CLI with every feature's commands
(also ``flask --app accord.assembly``)."""

from __future__ import annotations

import os
from importlib.metadata import version

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from accord.assembly import create_app
from accord.assembly.demo import demo_command
from accord.cli.output import CommandError
from accord.cli.server import serve_command
from accord.config import ConfigError


def _make_app() -> Flask:
    """The app from ``ACCORD_*`` settings; a bad setting is one clear line, not a traceback."""
    try:
        return create_app()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


class AccordGroup(FlaskGroup):
    """Flask's CLI group, but ``--help`` on a misconfigured hub says why in one line.

    (Flask prints a traceback when the app cannot be built while listing commands.)
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except CommandError as exc:
            click.echo(f"Error: {exc.format_message()} (only these commands work until then)",
                       err=True)
            return sorted(self.commands)
        return super().list_commands(ctx)


def _use_config_file(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--config FILE``: the hub this command acts on (same as ``ACCORD_CONFIG``)."""
    if value:
        os.environ["ACCORD_CONFIG"] = value


cli = AccordGroup(
    create_app=_make_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Accord: cyber cooperation hub for CERTs.\n\nThe hub comes from --config FILE, "
         "ACCORD_CONFIG, or instance/accord.toml (written by `accord demo`), then ACCORD_* "
         "variables.",
    params=[click.Option(["--config"], metavar="FILE", expose_value=False, is_eager=True,
                         callback=_use_config_file,
                         help="The hub's accord.toml (default: instance/accord.toml if present).")],
)
# Flask's own --env-file, --app and --debug options do not apply: the app is the assembled hub.
cli.params = [p for p in cli.params if p.name not in ("env_file", "app", "debug")]
click.version_option(version("accord"), "--version", prog_name="accord",
                     message="%(prog)s %(version)s")(cli)
cli.add_command(serve_command)
cli.add_command(demo_command)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="accord")
