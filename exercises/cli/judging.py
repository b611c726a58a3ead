"""``accord exercise evaluate|expectations|judge|override|note|rate|improvement|report``."""

from __future__ import annotations

import click

from accord.cli.output import app_command, emit, json_option, table, unit_of_work
from exercises import access, reports
from exercises.cli.group import actor, as_option, exercise_group, write_output
from exercises.judging import aftercare, evaluation
from exercises.reports import data as report_data


@exercise_group.command("evaluate")
@click.argument("ref", metavar="EXERCISE")
@json_option
@app_command
def evaluate_command(ref: str, as_json: bool) -> None:
    """Judge acknowledge, response and stix expectations from hub records now."""
    with unit_of_work() as session:
        counts = evaluation.evaluate(session, access.load(session, ref))
    emit(as_json, counts, ", ".join(f"{k} {v}" for k, v in counts.items()) or "no expectations")


@exercise_group.command("expectations")
@click.argument("ref", metavar="EXERCISE")
@json_option
@app_command
def expectations_command(ref: str, as_json: bool) -> None:
    """List expectations with their verdicts (refer to them as INJECT/ACTION/TEAM)."""
    with unit_of_work() as session:
        run = access.load(session, ref)
        rows = [evaluation.view(run, r) for r in evaluation.results(session, run)]
    emit(as_json, rows, table([[f"{r['inject']}/{r['action']}/{r['team']}", r["evidence_kind"],
                                r["deadline_at"], r["verdict"]] for r in rows],
                              ["EXPECTATION", "EVIDENCE", "DEADLINE (UTC)", "VERDICT"]))


@exercise_group.command("judge")
@click.argument("ref", metavar="EXERCISE")
@click.argument("expectation", metavar="INJECT/ACTION/TEAM")
@click.argument("verdict", type=click.Choice([v.value for v in evaluation.MANUAL_VERDICTS]))
@click.option("--note", default="")
@as_option
@json_option
@app_command
def judge_command(ref: str, expectation: str, verdict: str, note: str, as_user: str | None,
                  as_json: bool) -> None:
    """Record an evaluator's verdict on a manual expectation."""
    with unit_of_work() as session:
        run = access.load(session, ref)
        result = evaluation.judge(session, run, evaluation.find_result(session, run, expectation),
                                  verdict, note, actor(session, as_user))
        data = evaluation.view(run, result)
    emit(as_json, data, f"{expectation}: {data['verdict']}")


@exercise_group.command("override")
@click.argument("ref", metavar="EXERCISE")
@click.argument("expectation", metavar="INJECT/ACTION/TEAM")
@click.argument("verdict", type=click.Choice([v.value for v in evaluation.OVERRIDE_VERDICTS]))
@click.option("--reason", required=True, help="Why the automatic verdict is wrong (shown in "
                                              "the report).")
@as_option
@json_option
@app_command
def override_command(ref: str, expectation: str, verdict: str, reason: str,
                     as_user: str | None, as_json: bool) -> None:
    """Override an automatic verdict, with a reason."""
    with unit_of_work() as session:
        run = access.load(session, ref)
        result = evaluation.override(session, run,
                                     evaluation.find_result(session, run, expectation),
                                     verdict, reason, actor(session, as_user))
        data = evaluation.view(run, result)
    emit(as_json, data, f"{expectation}: {data['auto_verdict']} -> {data['verdict']}")


@exercise_group.command("note")
@click.argument("ref", metavar="EXERCISE")
@click.argument("text")
@click.option("--kind", type=click.Choice(aftercare.NOTE_KINDS), default="observation",
              show_default=True)
@click.option("--team", default=None)
@click.option("--objective", default=None)
@as_option
@app_command
def note_command(ref: str, text: str, kind: str, team: str | None, objective: str | None,
                 as_user: str | None) -> None:
    """Add an observation, strength, area for improvement or lesson learned."""
    with unit_of_work() as session:
        run = access.load(session, ref)
        aftercare.add_note(session, run, kind, text, team, objective, actor(session, as_user))
    click.echo(f"Added {kind}")


@exercise_group.command("rate")
@click.argument("ref", metavar="EXERCISE")
@click.argument("objective")
@click.argument("team")
@click.argument("rating")
@click.option("--note", default="")
@as_option
@app_command
def rate_command(ref: str, objective: str, team: str, rating: str, note: str,
                 as_user: str | None) -> None:
    """Rate OBJECTIVE for TEAM on the scenario's scale (e.g. P, S, M, U)."""
    with unit_of_work() as session:
        run = access.load(session, ref)
        aftercare.rate(session, run, objective, team, rating, note, actor(session, as_user))
    click.echo(f"Rated {objective} for {team}: {rating}")


@exercise_group.group("improvement")
def improvement_group() -> None:
    """The improvement plan (corrective actions with owner team, due date and status)."""


@improvement_group.command("add")
@click.argument("ref", metavar="EXERCISE")
@click.argument("action")
@click.option("--owner", "owner_team", required=True, help="Owner team.")
@click.option("--due", "due_date", required=True, help="Due date, YYYY-MM-DD.")
@click.option("--objective", default=None)
@click.option("--capability", default="", help="The core capability (HSEEP).")
@click.option("--observation", default="", help="The issue or area for improvement.")
@click.option("--recommendation", default="")
@click.option("--start", "start_date", default=None, help="Start date, YYYY-MM-DD.")
@as_option
@json_option
@app_command
def improvement_add(ref: str, action: str, owner_team: str, due_date: str,
                    objective: str | None, capability: str, observation: str,
                    recommendation: str, start_date: str | None, as_user: str | None,
                    as_json: bool) -> None:
    """Add an improvement plan row (HSEEP AAR/IP)."""
    with unit_of_work() as session:
        run = access.load(session, ref)
        data = aftercare.improvement_view(aftercare.add_improvement(
            session, run, action, owner_team, due_date, objective, actor(session, as_user),
            capability=capability, observation=observation, recommendation=recommendation,
            start_date=start_date))
    emit(as_json, data, f"Added improvement action {data['id']}")


@improvement_group.command("update")
@click.argument("ref", metavar="EXERCISE")
@click.argument("item_id", metavar="ID")
@click.option("--status", default=None)
@click.option("--due", "due_date", default=None)
@click.option("--owner", "owner_team", default=None)
@as_option
@json_option
@app_command
def improvement_update(ref: str, item_id: str, status: str | None, due_date: str | None,
                       owner_team: str | None, as_user: str | None, as_json: bool) -> None:
    changes = {key: value for key, value in (("status", status), ("due_date", due_date),
                                             ("owner_team", owner_team)) if value is not None}
    with unit_of_work() as session:
        run = access.load(session, ref)
        data = aftercare.improvement_view(aftercare.update_improvement(
            session, run, item_id, changes, actor(session, as_user)))
    emit(as_json, data, f"Updated improvement action {data['id']}: {data['status']}")


@exercise_group.command("report")
@click.argument("ref", metavar="EXERCISE")
@click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="markdown",
              show_default=True)
@click.option("-o", "--output", default=None, help="Write to this file instead of stdout.")
@app_command
def report_command(ref: str, fmt: str, output: str | None) -> None:
    """The after-action report in Markdown, HTML or JSON."""
    with unit_of_work() as session:
        built = report_data.build(session, access.load(session, ref))
    write_output(reports.render(built, fmt), output)
