"""``accord exercise schedule|list|status|pause|resume|release|hold|unhold|skip|cancel|end``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from accord.cli.output import app_command, emit, json_option, table, unit_of_work
from exercises import access
from exercises.api import presenters
from exercises.cli.group import actor, as_option, exercise_group, pairs, sync
from exercises.runs import planning
from exercises.runs.actions import INJECT_ACTIONS, RUN_ACTIONS
from exercises.scenarios.durations import human


@exercise_group.command("schedule")
@click.argument("scenario_ref", metavar="SCENARIO")
@click.option("--name", required=True, help="Name of this run.")
@click.option("--start", required=True, help="ISO 8601 start, e.g. 2026-12-01T09:00+07:00.")
@click.option("--timezone", default=None, help="Time zone for a --start without offset.")
@click.option("--team", "teams", multiple=True, required=True, metavar="PLACEHOLDER=TEAM",
              help="Map a scenario team placeholder to a real team; repeat for each.")
@click.option("--owner-team", default=None, help="Team that runs the exercise (EXCON).")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Rehearsal speed factor (60 plays an hour in a minute).")
@click.option("--rehearsal", is_flag=True, help="A rehearsal run (allows --speed).")
@click.option("--evaluator", "evaluators", multiple=True, metavar="USERNAME")
@click.option("--observer", "observers", multiple=True, metavar="USERNAME")
@click.option("--webhook", "webhooks", multiple=True, metavar="PLACEHOLDER=URL")
@as_option
@json_option
@app_command
def schedule_command(scenario_ref: str, name: str, start: str, timezone: str | None,
                     teams: tuple[str, ...], owner_team: str | None, speed: float,
                     rehearsal: bool, evaluators: tuple[str, ...], observers: tuple[str, ...],
                     webhooks: tuple[str, ...], as_user: str | None, as_json: bool) -> None:
    """Schedule SCENARIO for real teams at an absolute start time."""
    request = planning.ScheduleRequest(
        scenario=scenario_ref, name=name, start=planning.parse_start(start, timezone),
        teams=pairs(teams, "--team"), speed=speed, rehearsal=rehearsal,
        evaluators=list(evaluators), observers=list(observers),
        webhooks=pairs(webhooks, "--webhook"))
    with unit_of_work() as session:
        run = planning.schedule_exercise(session, request, actor(session, as_user),
                                           owner_team)
        data = presenters.summary(run)
    sync(run)
    emit(as_json, data, [f"Scheduled {data['name']} ({data['id']}) at {data['start_at']} UTC"] +
         [f"  {t['team']} plays {t['placeholder']}: starts {t['start_local']} ({t['timezone']})"
          for t in data["teams"]])


@exercise_group.command("list")
@json_option
@app_command
def list_command(as_json: bool) -> None:
    """List exercises, newest start first."""
    with unit_of_work() as session:
        rows = [presenters.summary(run) for run in access.all_exercises(session)]
    emit(as_json, rows, table([[r["name"], r["state"], r["start_at"], r["scenario"]["title"],
                                f"rehearsal x{r['speed']:g}" if r["rehearsal"] else "live",
                                r["id"]] for r in rows],
                              ["NAME", "STATE", "START (UTC)", "SCENARIO", "MODE", "ID"]))


def _status_lines(data: dict[str, Any]) -> list[str]:
    lines = [f"{data['name']} ({data['id']}): {data['state']}"
             + (f", rehearsal x{data['speed']:g}" if data["rehearsal"] else ""),
             f"  start {data['start_at']} UTC, end of play {data['end_at']} UTC, "
             f"paused {human(data['paused_seconds'])}"]
    lines += [f"  {t['team']} ({t['placeholder']}): start {t['start_local']} {t['timezone']}"
              for t in data["teams"]]
    lines += table([[i["key"], i["clock"], i["state"] + (" (held)" if i["held"] else ""),
                     i["due_at"], i["released_at"] or "—", human(i["delay_seconds"]), i["title"]]
                    for i in data["injects"]],
                   ["INJECT", "CLOCK", "STATE", "DUE (UTC)", "RELEASED", "DELAY", "TITLE"])
    lines.append("  verdicts: " + (", ".join(f"{k} {v}" for k, v in data["verdicts"].items())
                                   or "none yet"))
    return lines


@exercise_group.command("status")
@click.argument("ref", metavar="EXERCISE")
@json_option
@app_command
def status_command(ref: str, as_json: bool) -> None:
    """Show a run: state, each team's local start, injects planned/due/released, verdicts."""
    with unit_of_work() as session:
        data = presenters.status(session, access.load(session, ref))
    emit(as_json, data, _status_lines(data))


def _control(ref: str, as_user: str | None, as_json: bool,
             action: Callable[..., Any], *args: Any) -> None:
    with unit_of_work() as session:
        run = access.load(session, ref)
        action(session, run, *args, actor(session, as_user))
        data = presenters.status(session, run)
    sync(run)
    emit(as_json, data, _status_lines(data))


def _run_command(name: str, action: Callable[..., Any], doc: str) -> None:
    @exercise_group.command(name, help=doc)
    @click.argument("ref", metavar="EXERCISE")
    @as_option
    @json_option
    @app_command
    def command(ref: str, as_user: str | None, as_json: bool) -> None:
        _control(ref, as_user, as_json, action)


def _inject_command(name: str, action: Callable[..., Any], doc: str) -> None:
    @exercise_group.command(name, help=doc)
    @click.argument("ref", metavar="EXERCISE")
    @click.argument("inject_key", metavar="INJECT")
    @as_option
    @json_option
    @app_command
    def command(ref: str, inject_key: str, as_user: str | None, as_json: bool) -> None:
        def act(session: Any, run: Any, user: Any) -> Any:
            return action(session, run, planning.find_inject(run, inject_key), user)
        _control(ref, as_user, as_json, act)


for _action in RUN_ACTIONS.values():
    _run_command(_action.command, _action.apply, _action.summary)
for _inject_action in INJECT_ACTIONS.values():
    _inject_command(_inject_action.name, _inject_action.apply, _inject_action.summary)
