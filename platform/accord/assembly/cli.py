"""The ``accord`` command: every core and feature command group, imported only when invoked
(also ``flask --app accord.assembly``, which lists the same commands from the app).

Startup (issue 15): ``accord --help`` and ``accord --version`` import click and this module,
nothing of the web app. Each command is named here with the module that defines it and its
one-line help, so the root help is complete without importing it; a command's module is
imported when the command runs (or its own help is asked for), and the app is built only by
commands that need it (``with_appcontext``). ``tests/accord/test_cli_startup.py`` checks the
table against the commands the app registers and the help the commands carry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask
    from flask.cli import ScriptInfo


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives (``module:attribute``) and its one-line help."""

    target: str
    short_help: str
    needs_app: bool = True
    """Built with the hub's app context pushed (as ``FlaskGroup`` did for the app's commands);
    ``serve`` and ``demo`` build their own."""
    serves_http: bool = False
    """Its app serves HTTP, so it has every blueprint (``serve``); any other command's app has
    none and imports no web module (issue 15)."""

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command), self.target
        return command


COMMANDS: dict[str, LazyCommand] = {
    "agreements": LazyCommand("accord.cli.agreements:agreements_group",
                              "Sharing agreements: purpose, partners, default IEP policy, "
                              "retention; oversight reports."),
    "collection": LazyCommand("accord.cli.access:collection_group",
                              "TAXII collections and grants."),
    "db": LazyCommand("accord.cli.dbcmd:db_group", "Database schema management."),
    "demo": LazyCommand("accord.assembly.demo:demo_command",
                        "Create a demo database with partner teams and shared indicators, then "
                        "serve it.", needs_app=False),
    "exercise": LazyCommand("exercises.cli:exercise_group",
                            "Joint tabletop exercises: scenarios, runs, live control, "
                            "evaluation, reports."),
    "export": LazyCommand("accord.cli.sharing:export_command",
                          "Export COLLECTION (id or alias) under the TLP rules of USERNAME's "
                          "team."),
    "feeds": LazyCommand("feeds.cli:feeds_group",
                         "Feed sync: TAXII pull/push with partner hubs and indicator lists."),
    "scheduler": LazyCommand("accord.cli.scheduling:scheduler_command",
                             "Run scheduled jobs (one active process; start more as hot "
                             "standbys)."),
    "serve": LazyCommand("accord.cli.server:serve_command",
                         "Serve the hub with gunicorn (refuses an un-migrated database).",
                         needs_app=False, serves_http=True),
    "share": LazyCommand("accord.cli.sharing:share_command",
                         "Share FILE: a STIX bundle or TAXII envelope, or values one a line "
                         "(- for stdin)."),
    "team": LazyCommand("accord.cli.directory:team_group", "Partner teams."),
    "token": LazyCommand("accord.cli.access:token_group",
                         "API tokens (shown once, stored hashed)."),
    "trust-group": LazyCommand("accord.cli.directory:trust_group_group",
                               "Trust groups (communities of teams)."),
    "user": LazyCommand("accord.cli.directory:user_group", "Users and service accounts."),
    "worker": LazyCommand("accord.cli.worker:worker_command",
                          'Ingest big envelopes answered "pending" (ACCORD_TAXII_ASYNC_OBJECTS).'),
}
"""Every command of the assembled hub: the core's (``accord.app.CORE``), each feature's, and
the assembly's own ``serve`` and ``demo``."""


def create_app(overrides: dict[str, Any] | None = None, *, http: bool = False) -> Flask:
    """The hub of one command, imported when a command first needs it: without ``http``, no
    blueprint and no web module (:func:`accord.assembly.create_app`)."""
    from accord.assembly import factory

    return factory.create_app(overrides, http=http)


def _make_app(http: bool = False) -> Flask:
    """The app from ``ACCORD_*`` settings; a bad setting is one clear line, not a traceback."""
    from accord.cli.output import CommandError
    from accord.config import ConfigError

    try:
        return create_app(http=http)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


class LazyGroup(click.Group):
    """A click group whose commands are imported when used; the root help comes from
    :data:`COMMANDS`. A command runs with Flask's script info, so ``with_appcontext`` builds
    the hub from ``--config``/``ACCORD_*`` (what ``FlaskGroup`` did for every command)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        lazy = COMMANDS.get(cmd_name)
        if lazy is None:
            return None
        info = _flask_script_info(ctx, http=lazy.serves_http)
        command = lazy.load()
        if lazy.needs_app:
            _push_app_context(ctx, info.load_app())
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` as click writes it, from the table (no imports)."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._summary(name).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _summary(self, name: str) -> click.Command:
        """A command as far as the root help needs it: a stand-in with the table's help."""
        if name in self.commands:
            return self.commands[name]
        return click.Command(name, help=COMMANDS[name].short_help)


def _flask_script_info(ctx: click.Context, *, http: bool) -> ScriptInfo:
    """Flask's script info for the assembled hub, for the command's context (what
    ``FlaskGroup.make_context`` gave every command); ``http``: the app serves HTTP."""
    from flask.cli import ScriptInfo

    os.environ["FLASK_RUN_FROM_CLI"] = "true"
    root = ctx.find_root()
    if not isinstance(root.obj, ScriptInfo):
        root.obj = ScriptInfo(create_app=partial(_make_app, http), set_debug_flag=False,
                              load_dotenv_defaults=False)
    return root.obj


def _push_app_context(ctx: click.Context, app: Flask) -> None:
    """The app context for the command's callbacks, unless it is active already (as
    ``FlaskGroup.get_command`` does for an app's commands)."""
    from flask import current_app

    if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
        ctx.with_resource(app.app_context())


def _use_config_file(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--config FILE``: the hub this command acts on (same as ``ACCORD_CONFIG``)."""
    if value:
        os.environ["ACCORD_CONFIG"] = value


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: read from the installed distribution only when asked."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(f"accord {version('accord')}")
    ctx.exit()


cli = LazyGroup(
    name="accord",
    help="Accord: cyber cooperation hub for CERTs.\n\nThe hub comes from --config FILE, "
         "ACCORD_CONFIG, or instance/accord.toml (written by `accord demo`), then ACCORD_* "
         "variables.",
    params=[click.Option(["--config"], metavar="FILE", expose_value=False, is_eager=True,
                         callback=_use_config_file,
                         help="The hub's accord.toml (default: instance/accord.toml if present)."),
            click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                         callback=_show_version, help="Show the version and exit.")],
)


def main(args: Any = None) -> None:
    """Console-script entry point."""
    cli.main(args=args, prog_name="accord")
