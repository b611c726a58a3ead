"""``accord --help`` and ``--version`` import no part of the web app (issue 15): the root's
command table names each command's module and help, and stays true to the real commands.
(Not timed: ``bench/cli_startup.py`` measures the startup.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask import Flask

from accord.assembly.cli import COMMANDS, LazyGroup, cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("flask", "sqlalchemy", "accord.app", "accord.web", "accord.taxii", "accord.api",
         "accord.models", "accord.assembly.factory", "accord.cli", "feeds", "exercises",
         "advisories", "stix2")
"""Modules ``--help`` must not import: Flask and the ORM, the app, every feature."""

PROBE = """
import sys
from accord.assembly.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    assert not done.code, done.code
print("--modules--")
print("\\n".join(sorted(sys.modules)))
"""


def modules_after(*args: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Run the ``accord`` root with ``args`` in a fresh interpreter on this tree (``env``:
    default, no ``ACCORD_*`` setting): (output, the modules it imported)."""
    if env is None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    output, _, modules = done.stdout.partition("--modules--\n")
    return output, modules.split()


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_import_nothing_of_the_app(args: tuple[str, ...]) -> None:
    output, modules = modules_after(*args)
    assert output.startswith("Usage: accord" if args == ("--help",) else "accord ")
    loaded = [name for name in modules
              if any(name == heavy or name.startswith(heavy + ".") for heavy in HEAVY)]
    assert loaded == []
    assert "accord.assembly.cli" in modules


def test_the_table_names_every_command_of_the_hub(app: Flask) -> None:
    """Each entry loads the very command the app registers (or ``serve``/``demo``, which the
    assembly adds), with the same one-line help, and only those two build no app."""
    own = {"serve", "demo"}
    assert set(COMMANDS) == set(app.cli.commands) | own
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command.name == name
        if name not in own:
            assert command is app.cli.commands[name]
        assert lazy.short_help == command.get_short_help_str(10_000), name
        assert lazy.needs_app == (name not in own)


def test_root_help_is_what_click_prints_for_the_loaded_commands() -> None:
    """The help written from the table equals the help of a group holding the real commands."""
    eager = click.Group(name="accord", help=cli.help, params=list(cli.params),
                        commands={name: lazy.load() for name, lazy in COMMANDS.items()})
    for width in (80, 100, 60):
        lazy_help = CliRunner().invoke(cli, ["--help"], terminal_width=width).output
        eager_help = CliRunner().invoke(eager, ["--help"], terminal_width=width).output
        assert lazy_help == eager_help


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.output
    assert isinstance(cli, LazyGroup)
