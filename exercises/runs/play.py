"""What players do: read their team's inbox, acknowledge injects, respond and decide.

Every acknowledgement, response and decision is stored with its author and the hub's time; the
evaluation reads them as evidence. Players see only injects released to their own team, never
controller notes or other teams' injects, and times in their team's time zone.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.errors import BadRequest, Conflict, NotFound
from accord.models.users import User
from exercises.models import (
    Exercise,
    ExerciseDelivery,
    ExerciseInject,
    ExerciseResponse,
    ExerciseState,
    ExerciseTeam,
    ExpectationResult,
    InjectState,
)
from exercises.runs import lateness
from exercises.runs.planning import inject_spec, local_iso
from exercises.scenarios.per_team import attachment_bytes, for_team

OPEN_FOR_PLAY = (ExerciseState.RUNNING, ExerciseState.PAUSED)
MAX_TEXT = 20000


def _delivered(session: Session, inject: ExerciseInject, team: ExerciseTeam) -> bool:
    return session.scalar(select(ExerciseDelivery.id).where(
        ExerciseDelivery.inject_id == inject.id, ExerciseDelivery.team_id == team.team_id,
        ExerciseDelivery.channel == "inbox")) is not None


def _playable(session: Session, exercise: Exercise, inject: ExerciseInject,
              team: ExerciseTeam) -> None:
    if inject.state != InjectState.RELEASED or not _delivered(session, inject, team):
        raise NotFound(f"no inject {inject.key!r} in {team.team.name}'s inbox")
    if exercise.state not in OPEN_FOR_PLAY:
        raise Conflict(f"exercise {exercise.name!r} is {exercise.state.value}; play is over")


def inbox(session: Session, exercise: Exercise, team: ExerciseTeam) -> list[dict[str, Any]]:
    """The injects released to ``team``, newest first, with its expectations and responses."""
    tz = team.team.timezone
    items = []
    for inject in sorted(exercise.injects, key=lambda i: i.released_at or i.due_at, reverse=True):
        if inject.state != InjectState.RELEASED or not _delivered(session, inject, team):
            continue
        spec = inject_spec(exercise, inject.key)
        expectations = session.scalars(select(ExpectationResult).where(
            ExpectationResult.inject_id == inject.id, ExpectationResult.team_id == team.team_id))
        actions = {a["id"]: a for a in spec["expected_actions"]}
        responses = session.scalars(select(ExerciseResponse).where(
            ExerciseResponse.inject_id == inject.id, ExerciseResponse.team_id == team.team_id
        ).order_by(ExerciseResponse.created_at))
        seen = for_team(spec, team.placeholder)
        items.append({
            "inject": inject.key,
            "title": seen["title"],
            "from": spec["from"],
            "phase": spec["phase"],
            "body": seen["body"],
            "attachments": [{"index": number, "name": a["name"], "media_type": a["media_type"]}
                            for number, a in enumerate(seen["attachments"])],
            "released_at": inject.released_at.isoformat() if inject.released_at else None,
            "released_at_local": local_iso(inject.released_at, tz),
            "late": lateness.late_text(inject, exercise.speed),
            "late_seconds": round(lateness.late_seconds(inject) * exercise.speed, 3),
            "timezone": tz,
            "stix_objects": len(spec["stix"]) + len(seen["stix"]),
            "expected_actions": [{
                "id": result.action_key, "text": actions[result.action_key]["text"],
                "evidence": result.evidence_kind,
                "decision_options": actions[result.action_key].get("decision_options", []),
                "joint": bool(actions[result.action_key].get("joint")),
                "sign_offs": _sign_offs(session, exercise, inject, result.action_key)
                if actions[result.action_key].get("joint") else [],
                "verdict": result.verdict.value,
                "deadline_at": result.deadline_at.isoformat(),
                "deadline_at_local": local_iso(result.deadline_at, tz),
            } for result in expectations],
            "answerable": answerable(session, inject, team),
            "responses": [response_view(r, tz) for r in responses],
        })
    return items


def _sign_offs(session: Session, exercise: Exercise, inject: ExerciseInject, action_key: str
               ) -> list[dict[str, str]]:
    """Each team's current position on a joint decision (its latest decision or sign-off)."""
    names = {t.team_id: t.team.name for t in exercise.teams}
    latest: dict[str, str] = {}
    for response in session.scalars(select(ExerciseResponse).where(
            ExerciseResponse.inject_id == inject.id, ExerciseResponse.action_key == action_key,
            ExerciseResponse.kind.in_(("decision", "signoff"))
    ).order_by(ExerciseResponse.created_at)):
        latest[names.get(response.team_id, "?")] = str(response.decision)
    return [{"team": team, "decision": decision} for team, decision in sorted(latest.items())]


def response_view(response: ExerciseResponse, timezone: str) -> dict[str, Any]:
    return {
        "id": str(response.id), "kind": response.kind, "author": response.author,
        "action": response.action_key, "text": response.text, "decision": response.decision,
        "created_at": response.created_at.isoformat(),
        "created_at_local": local_iso(response.created_at, timezone),
    }


def acknowledge(session: Session, exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
                user: User) -> ExerciseResponse:
    """Record that the team has seen the inject; a second acknowledgement returns the first."""
    _playable(session, exercise, inject, team)
    existing = session.scalar(select(ExerciseResponse).where(
        ExerciseResponse.inject_id == inject.id, ExerciseResponse.team_id == team.team_id,
        ExerciseResponse.kind == "acknowledge"))
    if existing is not None:
        return existing
    return _store(session, exercise, inject, team, user, "acknowledge", "", None, None)


def team_actions(session: Session, inject: ExerciseInject, team: ExerciseTeam
                 ) -> list[ExpectationResult]:
    """The team's expectations on ``inject`` (only actions expected of this team)."""
    return list(session.scalars(select(ExpectationResult).where(
        ExpectationResult.inject_id == inject.id, ExpectationResult.team_id == team.team_id
    ).order_by(ExpectationResult.action_key)))


def answerable(session: Session, inject: ExerciseInject, team: ExerciseTeam) -> list[str]:
    """Ids of the team's actions on ``inject`` that an answer (response evidence) meets."""
    return [r.action_key for r in team_actions(session, inject, team)
            if r.evidence_kind == "response"]


def _answered_action(session: Session, exercise: Exercise, inject: ExerciseInject,
                     team: ExerciseTeam, action_key: str | None) -> dict[str, Any] | None:
    """The expected action an answer counts for; required when more than one could be meant."""
    actions: dict[str, dict[str, Any]] = {
        a["id"]: a for a in inject_spec(exercise, inject.key)["expected_actions"]}
    mine = {r.action_key for r in team_actions(session, inject, team)}
    if action_key is None:
        choices = answerable(session, inject, team)
        if len(choices) > 1:
            raise BadRequest(f"action: inject {inject.key!r} has {len(choices)} expected actions "
                             f"to answer; name one of: {', '.join(choices)}",
                             details={"choices": choices})
        return actions[choices[0]] if choices else None
    action = actions.get(action_key)
    if action is None:
        raise BadRequest(f"action: inject {inject.key!r} has no expected action {action_key!r}")
    if action_key not in mine:
        raise BadRequest(f"action: {action_key!r} is not expected of {team.team.name}")
    return action


def respond(session: Session, exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
            user: User, text: str, action_key: str | None = None,
            decision: str | None = None) -> ExerciseResponse:
    """Record a free-text answer or, with ``decision``, a decision (with its rationale).

    An answer counts for exactly one expected action: the one it names, or the team's only
    answerable action on the inject; with several, the caller must name one (400 listing them).
    """
    _playable(session, exercise, inject, team)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise BadRequest(f"text: longer than {MAX_TEXT} characters")
    action = _answered_action(session, exercise, inject, team, action_key)
    options = (action or {}).get("decision_options") or []
    if decision is not None:
        if not decision.strip():
            raise BadRequest("decision: must not be empty")
        if options and decision not in options:
            raise BadRequest(f"decision: {decision!r} is not one of {', '.join(options)}")
    elif options and action is not None:
        raise BadRequest(f"decision: action {action['id']!r} asks for a decision, one of "
                         f"{', '.join(options)}")
    elif not text:
        raise BadRequest("text: a response needs some text")
    kind = "decision" if decision is not None else "response"
    return _store(session, exercise, inject, team, user, kind, text,
                  action["id"] if action else None, decision)


def sign_off(session: Session, exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
             user: User, action_key: str, decision: str) -> ExerciseResponse:
    """A team's sign-off on a joint decision; the decision is made once every team named by
    the action has signed off on the same option (see :mod:`exercises.judging.evidence`)."""
    _playable(session, exercise, inject, team)
    action = _answered_action(session, exercise, inject, team, action_key or None)
    if action is None or not action.get("joint"):
        raise BadRequest(f"action: {action_key!r} is not a joint decision")
    options = action.get("decision_options") or []
    if not decision.strip() or (options and decision not in options):
        raise BadRequest(f"decision: {decision!r} is not one of {', '.join(options)}"
                         if options else "decision: must not be empty")
    return _store(session, exercise, inject, team, user, "signoff", "", action["id"], decision)


def _store(session: Session, exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
           user: User, kind: str, text: str, action_key: str | None,
           decision: str | None) -> ExerciseResponse:
    response = ExerciseResponse(exercise_id=exercise.id, inject_id=inject.id,
                                team_id=team.team_id, user_id=user.id, author=user.username,
                                kind=kind, text=text, action_key=action_key, decision=decision)
    session.add(response)
    session.flush()
    audit.record(session, f"exercise.play.{kind}", actor=user, target_type="exercise",
                 target_id=exercise.id, details={"inject": inject.key, "action": action_key,
                                                 "decision": decision})
    return response


def attachment(session: Session, exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
               user: User, index: int) -> tuple[dict[str, str], bytes]:
    """One attachment of an inject as the team received it (audited: it is shared data)."""
    if inject.state != InjectState.RELEASED or not _delivered(session, inject, team):
        raise NotFound(f"no inject {inject.key!r} in {team.team.name}'s inbox")
    files = for_team(inject_spec(exercise, inject.key), team.placeholder)["attachments"]
    if not 0 <= index < len(files):
        raise NotFound(f"inject {inject.key!r} has no attachment {index}")
    audit.record(session, "exercise.attachment.read", actor=user, target_type="exercise",
                 target_id=exercise.id, details={"inject": inject.key,
                                                 "attachment": files[index]["name"]})
    return files[index], attachment_bytes(files[index])


def attachment_response(session: Session, exercise: Exercise, inject: ExerciseInject,
                        team: ExerciseTeam, user: User, index: int) -> Response:
    """The attachment as a download: never rendered in the hub's origin."""
    meta, content = attachment(session, exercise, inject, team, user, index)
    session.commit()
    response = Response(content, mimetype=meta["media_type"])
    response.headers["Content-Disposition"] = f'attachment; filename="{meta["name"]}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
