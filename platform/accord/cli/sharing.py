"""``accord share`` and ``accord export``: sharing for people without a TAXII client."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from flask import current_app

from accord.cli.output import CommandError, app_command, emit, json_option, unit_of_work
from accord.cli.progress import Progress
from accord.db import utcnow
from accord.sharing.access import standing
from accord.sharing.export import FORMATS, ExportSummary, export
from accord.sharing.share import ListOptions, Outcome, ShareReport, share
from accord.sharing.timestamps import parse_timestamp
from accord.tlp import Tlp

PARTIAL_EXIT = 3
TLP_CHOICES = click.Choice([level.value for level in Tlp], case_sensitive=False)


def _read_text(file: str) -> tuple[str, str]:
    """The text of FILE (``-``: standard input) and the name to report it by."""
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig"), "standard input" if file == "-" else file
    except UnicodeDecodeError as exc:
        raise CommandError(f"{file} is not UTF-8 text (byte {exc.start})") from None


def _valid_until(text: str | None) -> datetime | None:
    """An RFC 3339 timestamp or ISO date/time (UTC if no zone), strictly in the future."""
    if text is None:
        return None
    try:
        moment = parse_timestamp(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise CommandError(f"--valid-until: {text[:60]!r} is not an ISO 8601 date or "
                               "time") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment <= utcnow():
        raise CommandError(f"--valid-until: {text[:60]} is not in the future")
    return moment


def _outcome_line(outcome: Outcome) -> str:
    where = f"line {outcome.line}: " if outcome.line is not None else ""
    subject = " ".join(part for part in (outcome.id, outcome.value) if part)
    reason = f" ({outcome.reason})" if outcome.reason else ""
    if outcome.result == "failed" and not subject:
        return f"failed     {where}{outcome.reason}"
    return f"{outcome.result:<10} {where}{subject}{reason}"


def _report_lines(report: ShareReport, title: str, verbosity: str) -> list[str]:
    """Per-object lines (every one with --verbose, only failures by default, none with
    --quiet) and, unless --quiet, one summary line."""
    counts = report.counts
    shown = [outcome for outcome in report.outcomes
             if verbosity == "verbose" or (verbosity == "normal" and outcome.result == "failed")]
    summary = (f"{title}: {counts['stored']} stored, {counts['duplicate']} duplicate, "
               f"{counts['failed']} failed")
    return [*(_outcome_line(outcome) for outcome in shown),
            *([] if verbosity == "quiet" else [summary])]


def verbosity_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--verbose`` (a line per item) and ``--quiet`` (nothing but errors)."""
    command = click.option("--quiet", "-q", is_flag=True,
                           help="Print nothing but errors (the exit code tells the rest).")(command)
    return click.option("--verbose", "-v", is_flag=True,
                        help="Print a line for every object, not only failures.")(command)


def _verbosity(verbose: bool, quiet: bool) -> str:
    if verbose and quiet:
        raise click.UsageError("choose one of --verbose and --quiet")
    return "verbose" if verbose else "quiet" if quiet else "normal"


@click.command("share")
@click.argument("file")
@click.option("--collection", "collection_ref", required=True, help="Collection id or alias.")
@click.option("--as", "username", required=True, help="Share as this user (and their team).")
@click.option("--tlp", type=TLP_CHOICES, default=None,
              help="TLP of indicators made from values (default amber).")
@click.option("--label", "labels", multiple=True, help="Label for indicators; repeatable.")
@click.option("--valid-until", default=None, help="Indicators from values expire then (ISO).")
@verbosity_options
@json_option
@app_command
def share_command(file: str, collection_ref: str, username: str, tlp: str | None,
                  labels: tuple[str, ...], valid_until: str | None, as_json: bool,
                  verbose: bool, quiet: bool) -> None:
    """Share FILE: a STIX bundle or TAXII envelope, or values one a line (- for stdin).

    Values may be IPv4/IPv6 addresses, CIDRs, domains, URLs and MD5/SHA-1/SHA-256 hashes;
    # starts a comment. Prints the lines that failed and one summary line (--verbose: every
    object as stored, duplicate or failed; --json: all of it as JSON). Exits 0 when nothing
    failed, 3 when some objects or lines failed (the others are stored), 1 on errors.
    """
    verbosity = _verbosity(verbose, quiet)
    text, name = _read_text(file)
    options = ListOptions(Tlp(tlp.lower()) if tlp else None,
                          tuple(label.strip() for label in labels if label.strip()),
                          _valid_until(valid_until))
    with unit_of_work() as session:
        where = standing(session, username, collection_ref)
        report = share(session, where, text, options, name)
        title = f"Shared {name} to {where.collection.title!r} as {username}"
        data = {"collection": str(where.collection.id), "user": username,
                "input": report.source, **report.counts,
                "results": [outcome.as_json() for outcome in report.outcomes]}
    emit(as_json, data, _report_lines(report, title, verbosity))
    if report.counts["failed"]:
        sys.exit(PARTIAL_EXIT)


@contextmanager
def _destination(output: str | None) -> Iterator[TextIO]:
    """Standard output, or a file that appears whole (written aside, renamed) or not at all."""
    if output in (None, "-"):
        yield sys.stdout
        return
    target = Path(output)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent,
                                             prefix=f".{target.name}.")
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _summary_line(summary: ExportSummary, title: str, output: str | None) -> str:
    what = (f"{summary.values} values from {summary.objects} indicators"
            if summary.format == "blocklist" else f"{summary.objects} objects")
    skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(summary.skipped.items()))
    to = f" to {output}" if output not in (None, "-") else ""
    line = f"Exported {what} from {title!r}{to}" + (f" (left out: {skipped})" if skipped else "")
    if summary.held_back_count:
        line += f"\nHeld back by IEP policy: {summary.held_back_count}" + "".join(
            f"\n  {item['id']}: {item['reason']}" for item in summary.held_back)
    return line


@click.command("export")
@click.argument("collection_ref", metavar="COLLECTION")
@click.option("--as", "username", required=True, help="Export what this user's team may read.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="bundle",
              show_default=True)
@click.option("--type", "types", multiple=True, help="Only this STIX type; repeatable.")
@click.option("--output", "-o", default=None,
              help="Write to this file (readable by you only) instead of standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress and no summary line (errors only).")
@app_command
def export_command(collection_ref: str, username: str, fmt: str, types: tuple[str, ...],
                   output: str | None, as_json: bool, quiet: bool) -> None:
    """Export COLLECTION (id or alias) under the TLP rules of USERNAME's team.

    bundle: a STIX 2.1 bundle with the TLP and IEP marking-definitions referenced; csv: id,
    type, value, pattern, tlp, source_team, created, modified, valid_until; blocklist:
    indicator values one a line, without revoked or expired indicators. IEP 2.0 policies are
    enforced: expired versions stay (except for their source team), csv and blocklist take
    only objects permitting externally-visible-direct-actions, bundles those permitting
    internally-visible-actions; the rest are listed as held back with the reason. Progress
    (objects read so far) goes to standard error; so does the summary when the export itself
    goes to standard output.
    """
    # The file is renamed into place only after the audit row is committed.
    with _destination(output) as out, unit_of_work() as session:
        where = standing(session, username, collection_ref)
        title = where.collection.title
        with Progress(f"Exporting {title!r}", quiet=quiet or as_json) as progress:
            summary = export(session, where, fmt, tuple(types), out, output or "standard output",
                             lambda count: progress.update(count, f"{count:,} objects read"),
                             hub_name=str(current_app.config["HUB_NAME"]))
    if quiet and not as_json:
        return
    to_stdout = output in (None, "-")
    line = json.dumps({"collection": str(where.collection.id), **summary.as_json()}) \
        if as_json else _summary_line(summary, title, output)
    click.echo(line, err=to_stdout)

