"""Player routes: the team inbox, acknowledgements, responses and decisions."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from accord.errors import BadRequest
from exercises import access
from exercises.api.common import (
    body,
    bp,
    caller,
    commit_and_sync,
    exercise,
    session,
    text_field,
)
from exercises.judging import evaluation
from exercises.models import Exercise
from exercises.runs import feedback, planning, play


def _judge_and_sync(run: Exercise) -> None:
    """Refresh verdicts at once (the console shows them; conditional injects wait on them),
    commit, and let the scheduler follow."""
    evaluation.evaluate(session(), run)
    commit_and_sync(run)


@bp.get("/<ref>/inbox")
def inbox(ref: str) -> ResponseReturnValue:
    """The injects released to the caller's team, in its time zone."""
    run = exercise(ref)
    team = access.require_player(run, caller().user)
    return jsonify(team=team.team.name, timezone=team.team.timezone,
                   injects=play.inbox(session(), run, team))


@bp.post("/<ref>/injects/<key>/acknowledge")
def acknowledge(ref: str, key: str) -> ResponseReturnValue:
    run = exercise(ref)
    team = access.require_player(run, caller().user)
    inject = planning.find_inject(run, key)
    response = play.acknowledge(session(), run, inject, team, caller().user)
    _judge_and_sync(run)
    return jsonify(play.response_view(response, team.team.timezone)), 201


@bp.post("/<ref>/injects/<key>/responses")
def respond(ref: str, key: str) -> ResponseReturnValue:
    """A free-text answer, or a decision (``decision`` plus ``text`` as rationale), for the
    expected action named by ``action`` (required when the inject has several to answer)."""
    run = exercise(ref)
    team = access.require_player(run, caller().user)
    inject = planning.find_inject(run, key)
    data = body()
    decision = data.get("decision")
    if decision is not None and not isinstance(decision, str):
        raise BadRequest("decision: must be a string")
    response = play.respond(session(), run, inject, team, caller().user,
                            text_field(data, "text"), text_field(data, "action") or None,
                            decision)
    _judge_and_sync(run)
    return jsonify(play.response_view(response, team.team.timezone)), 201


@bp.post("/<ref>/injects/<key>/signoff")
def sign_off(ref: str, key: str) -> ResponseReturnValue:
    """The caller's team signs off a joint decision: ``action`` and ``decision``."""
    run = exercise(ref)
    team = access.require_player(run, caller().user)
    inject = planning.find_inject(run, key)
    data = body()
    response = play.sign_off(session(), run, inject, team, caller().user,
                             text_field(data, "action", required=True),
                             text_field(data, "decision", required=True))
    _judge_and_sync(run)
    return jsonify(play.response_view(response, team.team.timezone)), 201


@bp.get("/<ref>/injects/<key>/attachments/<int:index>")
def attachment(ref: str, key: str, index: int) -> ResponseReturnValue:
    """One file attached to an inject, as the caller's team received it."""
    run = exercise(ref)
    team = access.require_player(run, caller().user)
    return play.attachment_response(session(), run, planning.find_inject(run, key), team,
                                    caller().user, index)


@bp.get("/<ref>/feedback")
def feedback_list(ref: str) -> ResponseReturnValue:
    """Feedback and lessons: the caller's team's, or every team's for EXCON and staff."""
    run = exercise(ref)
    user = caller().user
    team = None if access.is_viewer(run, user) else access.require_player(run, user)
    closes = feedback.closes_at(run)
    return jsonify(open=feedback.is_open(run), closes_at=closes.isoformat() if closes else None,
                   entries=feedback.entries(session(), run, team))


@bp.post("/<ref>/feedback")
def feedback_submit(ref: str) -> ResponseReturnValue:
    """Submit feedback or a lesson learned (``kind``, ``text``); open after ENDEX for the
    scenario's ``feedback_window``."""
    run = exercise(ref)
    team = access.require_player(run, caller().user)
    data = body()
    note = feedback.submit(session(), run, team, caller().user,
                           text_field(data, "kind", required=True),
                           text_field(data, "text", required=True))
    session().commit()
    return jsonify(id=str(note.id), kind=note.kind, text=note.text), 201
