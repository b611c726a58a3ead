"""Generate docs/cli.md from the real ``--help`` of every ``accord`` command, so the reference
cannot drift from the code (``make docs``; a test fails when the file is stale).

    python -m accord.assembly.clidocs --write docs/cli.md   # regenerate
    python -m accord.assembly.clidocs --check docs/cli.md   # exit 1 when stale
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from click.testing import CliRunner

from accord.assembly.cli import cli

WIDTH = 80
"""Help is wrapped at a fixed width so the file does not depend on the terminal."""

HEADER = """\
# Accord command-line reference

This file is generated from the real `accord <command> --help` of this version by
`make docs` (`python -m accord.assembly.clidocs --write docs/cli.md`); a test fails when it is
stale, so do not edit it by hand. The [README](../README.md#command-line) has a one-screen
overview and worked examples.

`accord` builds the hub from `--config FILE`, `ACCORD_CONFIG`, or `instance/accord.toml`
(written by `accord demo`), then the `ACCORD_*` settings (see the
[configuration table](../README.md#configuration)). Every command acts on that hub's database;
run `accord db upgrade` once first.

Conventions: `--json` prints machine-readable JSON instead of a table. `--as USERNAME` records
an action under that user in the audit log (default: the CLI operator); `share` and `export`
require it and act with that user's team and grants. Arguments such as COLLECTION, TEAM or
EXERCISE take an id or the exact name (collections also take their alias; scenarios also take
`TITLE@VERSION`). Secrets are never taken as arguments: passwords and feed
credentials come from standard input (`--password-stdin`, `--secret-stdin`), and a token is
printed once when it is created. Commands that work through many items print a summary line
(and progress on long work); `--quiet` prints nothing but errors.
"""


@contextmanager
def _documenting_environment() -> Iterator[None]:
    """A throw-away development hub, so help never depends on the caller's config or data."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="accord-clidocs-") as instance:
        for name in [key for key in os.environ if key.startswith("ACCORD_")]:
            del os.environ[name]
        os.environ.update({"ACCORD_ENV": "development", "ACCORD_INSTANCE_PATH": instance,
                           "ACCORD_SECRET_KEY": "clidocs-" + "x" * 24,
                           "ACCORD_DATABASE_URL": f"sqlite:///{instance}/docs.sqlite3"})
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _command_paths() -> list[tuple[str, ...]]:
    """Every command path, depth first, in the order ``accord --help`` lists them."""
    paths: list[tuple[str, ...]] = []

    def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...]) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            paths.append((*prefix, name))
            if isinstance(command, click.Group):
                with click.Context(command, info_name=name, parent=ctx) as child:
                    walk(command, child, (*prefix, name))

    with cli.make_context("accord", [], resilient_parsing=True) as root:
        walk(cli, root, ())
    return paths


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="accord",
                                terminal_width=WIDTH, max_content_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"accord {' '.join(path)} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def _anchor(path: tuple[str, ...]) -> str:
    return "accord-" + "-".join(path)


def render() -> str:
    """The whole of docs/cli.md."""
    with _documenting_environment():
        paths = _command_paths()
        parts = [HEADER, "\n```text\n" + _help(()) + "```\n\nCommands:\n\n"]
        parts += [f"- [`accord {' '.join(p)}`](#{_anchor(p)})\n" for p in paths if len(p) == 1]
        for path in paths:
            level = "#" * (len(path) + 1)
            parts.append(f"\n{level} `accord {' '.join(path)}`\n\n```text\n{_help(path)}```\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    """``--write FILE`` regenerates; ``--check FILE`` exits 1 when FILE is stale."""
    parser = argparse.ArgumentParser(prog="python -m accord.assembly.clidocs",
                                     description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="FILE", type=Path)
    action.add_argument("--check", metavar="FILE", type=Path)
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
        return 0
    current = args.check.read_text(encoding="utf-8") if args.check.is_file() else ""
    if current != text:
        print(f"{args.check} is stale: run `make docs` and commit it", file=sys.stderr)
        return 1
    print(f"{args.check} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
