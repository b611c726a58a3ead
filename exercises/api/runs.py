"""Exercise routes: schedule, list, status, and live control by EXCON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from accord.auth import require_role
from accord.errors import BadRequest
from accord.models.users import Role, User
from exercises import access
from exercises.api import presenters
from exercises.api.common import body, bp, caller, commit_and_sync, exercise, session, text_field
from exercises.judging import evaluation
from exercises.models import Exercise
from exercises.runs import actions, control, planning


def _mapping(data: dict[str, Any], key: str) -> dict[str, str]:
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadRequest(f"{key}: must be an object of placeholder to text")
    return {str(k): v for k, v in value.items()}


def _names(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{key}: must be a list of usernames")
    return value


def _speed(data: dict[str, Any]) -> float:
    value = data.get("speed", 1)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest("speed: must be a number")
    return float(value)


@bp.post("")
def schedule() -> ResponseReturnValue:
    """Schedule a stored scenario for real teams (coordinators)."""
    require_role(caller(), Role.COORDINATOR)
    data = body()
    request = planning.ScheduleRequest(
        scenario=text_field(data, "scenario", required=True),
        name=text_field(data, "name", required=True),
        start=planning.parse_start(text_field(data, "start", required=True),
                                     text_field(data, "timezone") or None),
        teams=_mapping(data, "teams"), speed=_speed(data),
        rehearsal=bool(data.get("rehearsal", False)),
        evaluators=_names(data, "evaluators"), observers=_names(data, "observers"),
        webhooks=_mapping(data, "webhooks"))
    run = planning.schedule_exercise(session(), request, caller().user,
                                       text_field(data, "owner_team") or None)
    commit_and_sync(run)
    return jsonify(presenters.summary(run)), 201


@bp.get("")
def list_exercises() -> ResponseReturnValue:
    """The exercises the caller runs, judges, observes or plays in."""
    runs = access.visible_exercises(session(), caller().user)
    return jsonify(exercises=[presenters.summary(run) for run in runs])


@bp.get("/<ref>")
def show(ref: str) -> ResponseReturnValue:
    """Full status for EXCON, evaluators and observers; players get the summary only."""
    run = exercise(ref)
    user = caller().user
    if access.is_viewer(run, user):
        return jsonify(presenters.status(session(), run))
    access.require_player(run, user)
    return jsonify(presenters.summary(run))


def _control(ref: str, action: Callable[[Session, Exercise, User], Any]) -> ResponseReturnValue:
    run = exercise(ref)
    access.require_control(run, caller().user)
    action(session(), run, caller().user)
    commit_and_sync(run)
    return jsonify(presenters.status(session(), run))


@bp.post("/<ref>/cancel")
def cancel(ref: str) -> ResponseReturnValue:
    """Cancel the run, with an optional ``reason``."""
    reason = text_field(body(), "reason")
    return _control(ref, lambda s, run, user: control.cancel(s, run, user, reason))


WITHOUT_BODY = ", ".join(name for name in actions.RUN_ACTIONS if name != "cancel")


@bp.post(f"/<ref>/<any({WITHOUT_BODY}):action>")
def run_action(ref: str, action: str) -> ResponseReturnValue:
    """Pause, resume or complete (ENDEX now) the run (EXCON only)."""
    return _control(ref, actions.run_action(action).apply)


@bp.post("/<ref>/evaluate")
def evaluate(ref: str) -> ResponseReturnValue:
    """Refresh the automatic verdicts from hub records (evaluators and EXCON)."""
    run = exercise(ref)
    access.require_judge(run, caller().user)
    counts = evaluation.evaluate(session(), run)
    session().commit()
    return jsonify(verdicts=counts)


@bp.post("/<ref>/injects/<key>/<action>")
def inject_action(ref: str, key: str, action: str) -> ResponseReturnValue:
    """``release`` now, ``hold`` for manual release, ``unhold``, or ``skip`` one inject."""
    run = exercise(ref)
    access.require_control(run, caller().user)
    apply = actions.inject_action(action).apply
    inject = planning.find_inject(run, key)
    apply(session(), run, inject, caller().user)
    commit_and_sync(run)
    return jsonify(presenters.inject_view(run, inject))
