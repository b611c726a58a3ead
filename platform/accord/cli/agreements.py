"""``accord agreements``: sharing agreements and their oversight reports (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from accord import audit
from accord.cli.output import CommandError, app_command, emit, json_option, table, unit_of_work
from accord.oversight import render
from accord.oversight.detail import describe, summary
from accord.oversight.report import build_report
from accord.services import agreements


def _policy(text: str | None) -> dict[str, Any] | None:
    """``--policy``: IEP statements as a JSON object, or ``@file.json``."""
    if not text:
        return None
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise CommandError(f"--policy is not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise CommandError("--policy must be a JSON object of IEP statements")
    return value


@click.group("agreements")
def agreements_group() -> None:
    """Sharing agreements: purpose, partners, default IEP policy, retention; oversight reports."""


@agreements_group.command("create")
@click.argument("title")
@click.option("--owner", required=True, help="The providing team.")
@click.option("--partner", "partners", multiple=True, required=True,
              help="A partner team; repeat for each.")
@click.option("--purpose", required=True, help="What the shared data may be used for.")
@click.option("--legal-basis", default="", help="The law or arrangement sharing rests on.")
@click.option("--policy", default=None,
              help='Default IEP 2.0 policy as JSON (or @file.json), e.g. '
                   '\'{"permitted_actions": "internally-visible-actions"}\'.')
@click.option("--retention-days", type=int, default=None,
              help="Partners see an object this many days after it is shared.")
@click.option("--starts", default=None, help="YYYY-MM-DD or RFC 3339 (default: now).")
@click.option("--ends", default=None, help="YYYY-MM-DD or RFC 3339 (default: open).")
@json_option
@app_command
def agreement_create(title: str, owner: str, partners: tuple[str, ...], purpose: str,
                     legal_basis: str, policy: str | None, retention_days: int | None,
                     starts: str | None, ends: str | None, as_json: bool) -> None:
    """Create an agreement between the providing team and partner teams."""
    with unit_of_work() as session:
        agreement = agreements.create_agreement(
            session, title, owner, purpose, partners, legal_basis=legal_basis,
            default_policy=_policy(policy), retention_days=retention_days, starts_at=starts,
            ends_at=ends)
        data = describe(session, agreement)
    emit(as_json, data, f"Created agreement {title} ({data['id']})")


@agreements_group.command("list")
@json_option
@app_command
def agreement_list(as_json: bool) -> None:
    """List agreements with their partners and status."""
    with unit_of_work() as session:
        rows = [summary(a) for a in agreements.list_agreements(session)]
    emit(as_json, rows, table(
        [[r["title"], r["owner_team"], ", ".join(r["partners"]), r["status"],
          r["retention_days"] or "-", (r["ends_at"] or "open")[:10]] for r in rows],
        ["TITLE", "PROVIDER", "PARTNERS", "STATUS", "RETENTION DAYS", "ENDS"]))


@agreements_group.command("show")
@click.argument("agreement")
@json_option
@app_command
def agreement_show(agreement: str, as_json: bool) -> None:
    """Show an agreement's terms, policy, collections and grants."""
    with unit_of_work() as session:
        data = describe(session, agreements.get_agreement(session, agreement))
    lines = [f"{data['title']} ({data['status']})", f"  Purpose: {data['purpose']}",
             f"  Legal basis: {data['legal_basis'] or 'not stated'}",
             f"  Providing team: {data['owner_team']}",
             f"  Partners: {', '.join(data['partners'])}",
             f"  Term: {data['starts_at']} to {data['ends_at'] or 'open'}",
             f"  Retention: {data['retention_in_words']}", "  Default policy:"]
    lines += [f"    {p['statement']}: {p['meaning']}" for p in data["policy_in_words"]] or \
        ["    none"]
    lines += ["  Collections: " + (", ".join(c["title"] for c in data["collections"]) or "none")]
    lines += [f"  Grant: {g['team']} on {g['collection']} "
              f"({'works' if g['in_force'] else 'not in force'})" for g in data["grants"]]
    emit(as_json, data, lines)


@agreements_group.command("end")
@click.argument("agreement")
@click.option("--at", default=None, help="When it ends (default: now).")
@json_option
@app_command
def agreement_end(agreement: str, at: str | None, as_json: bool) -> None:
    """End an agreement: grants made under it stop working then."""
    with unit_of_work() as session:
        data = summary(agreements.end_agreement(session, agreement, at))
    emit(as_json, data, f"Agreement {data['title']} ends {data['ends_at']}")


@agreements_group.command("report")
@click.argument("agreement")
@click.option("--from", "start", default=None, help="Start (default: the agreement's start).")
@click.option("--to", "end", default=None, help="End, exclusive (default: now).")
@click.option("--format", "fmt", type=click.Choice(sorted(render.FORMATS) + ["md"]),
              default="markdown", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@app_command
def agreement_report(agreement: str, start: str | None, end: str | None, fmt: str,
                     output: str | None) -> None:
    """Oversight report: what was shared, read, expired and held back in a period."""
    with unit_of_work() as session:
        found = agreements.get_agreement(session, agreement)
        data = build_report(
            session, found, agreements.parse_moment(start, "--from") if start else None,
            agreements.parse_moment(end, "--to") if end else None)
        text = render.render(data, fmt)
        audit.record(session, "agreement.report", target_type="agreement", target_id=found.id,
                     details={"format": render.parse_format(fmt), "to": output or "stdout"})
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)
