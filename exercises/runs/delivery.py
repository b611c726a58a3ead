"""Releasing an inject: inbox deliveries, STIX published by TAXII, webhooks, expectations.

A release happens once: the inject row moves from pending to released in one conditional
UPDATE, so a scheduled job and a coordinator's "release now" racing each other cannot both
deliver. Everything a release writes (deliveries, published objects, expectation rows, audit)
commits together or not at all. Webhooks are only queued here (an outbox row in the same
commit) and sent by the scheduler's worker with retries (:mod:`exercises.runs.webhooks`), so a
release never waits on a partner's server and a rolled-back release sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import Conflict
from accord.models.collections import Collection
from accord.models.users import User
from accord.tlp import Tlp
from exercises.models import (
    Exercise,
    ExerciseDelivery,
    ExerciseInject,
    ExerciseState,
    ExerciseTeam,
    ExpectationResult,
    InjectState,
    Verdict,
)
from exercises.runs import publish, webhooks
from exercises.runs.marking import prepare, run_id
from exercises.runs.planning import audience, inject_spec, scaled
from exercises.scenarios.per_team import for_team, team_stix_ids

log = logging.getLogger("accord.exercises")


def begin(exercise: Exercise, now: datetime) -> None:
    """STARTEX: the exercise is running from ``now`` (hub time)."""
    if exercise.state == ExerciseState.SCHEDULED:
        exercise.state = ExerciseState.RUNNING
        exercise.started_at = now


def scenario_stix_ids(exercise: Exercise) -> set[str]:
    """Every STIX id defined by the scenario's injects, shared or per team (rewritten per run
    when published)."""
    return {obj["id"] for inject in exercise.document["injects"] for obj in inject["stix"]} | {
        sid for inject in exercise.document["injects"] for sid in team_stix_ids(inject)}


def _publish(session: Session, exercise: Exercise, spec: dict[str, Any],
             teams: list[ExerciseTeam], now: datetime, actor: User | None) -> dict[str, Any]:
    """Publish the inject's STIX: to the play collection for ``all``, else per-team briefings."""
    objects = prepare(spec["stix"], exercise.id, scenario_stix_ids(exercise), now,
                      Tlp.parse(exercise.document["default_tlp"]),
                      exercise.owner_team.identity_id)
    if spec["audience"] == "all":
        targets = [session.get(Collection, exercise.collection_id)]
    else:
        targets = [session.get(Collection, team.briefing_collection_id) for team in teams]
    published: dict[str, Any] = {"objects": [obj["id"] for obj in objects[2:]], "collections": []}
    for collection in targets if spec["stix"] else []:
        assert collection is not None
        outcome = publish.publish_objects(session, collection, exercise.owner_team, objects, actor)
        published["collections"].append({"id": str(collection.id), **outcome})
    for team in teams:  # each team's own bundle goes into its briefing collection only
        own = for_team(spec, team.placeholder)["stix"]
        if not own:
            continue
        prepared = prepare(own, exercise.id, scenario_stix_ids(exercise), now,
                           Tlp.parse(exercise.document["default_tlp"]),
                           exercise.owner_team.identity_id)
        briefing = session.get(Collection, team.briefing_collection_id)
        assert briefing is not None
        outcome = publish.publish_objects(session, briefing, exercise.owner_team, prepared, actor)
        published["collections"].append({"id": str(briefing.id), "team": team.team.name,
                                         "objects": [obj["id"] for obj in prepared[2:]],
                                         **{k: v for k, v in outcome.items() if k != "objects"}})
    return published


def _expectations(session: Session, exercise: Exercise, inject: ExerciseInject,
                  spec: dict[str, Any], teams: list[ExerciseTeam], now: datetime) -> int:
    count = 0
    for action in spec["expected_actions"]:
        targets = [t for t in teams if action["teams"] == "all" or t.placeholder in action["teams"]]
        for team in targets:
            session.add(ExpectationResult(
                exercise_id=exercise.id, inject_id=inject.id, action_key=action["id"],
                team_id=team.team_id, evidence_kind=action["evidence"],
                # counted from another team's action: open until then (see evaluation)
                deadline_at=exercise.end_at if action.get("deadline_from")
                else now + scaled(exercise, action["deadline"]),
                auto_verdict=None if action["evidence"] == "manual" else Verdict.PENDING))
            count += 1
    return count


def release(session: Session, exercise: Exercise, inject: ExerciseInject, mode: str,
            actor: User | None = None) -> ExerciseInject:
    """Deliver ``inject`` now through its channels; ``mode`` is ``schedule`` or ``manual``."""
    now = utcnow()
    claimed = session.execute(
        update(ExerciseInject)
        .where(ExerciseInject.id == inject.id, ExerciseInject.state == InjectState.PENDING)
        .values(state=InjectState.RELEASED, released_at=now, release_mode=mode, held=False,
                released_by=actor.username if actor else "scheduler")
        .execution_options(synchronize_session=False))
    session.refresh(inject)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"inject {inject.key!r} is {inject.state.value}, not pending")
    begin(exercise, now)
    spec = inject_spec(exercise, inject.key)
    teams = audience(exercise, spec)
    details: dict[str, Any] = {"inject": inject.key, "mode": mode,
                               "due_at": inject.due_at.isoformat(),
                               "delay_seconds": round((now - inject.due_at).total_seconds(), 3),
                               "teams": [t.team.name for t in teams]}
    for team in teams:
        session.add(ExerciseDelivery(inject_id=inject.id, team_id=team.team_id, channel="inbox",
                                     delivered_at=now))
    if "taxii" in spec["channels"] and (spec["stix"] or team_stix_ids(spec)):
        details["taxii"] = _publish(session, exercise, spec, teams, now, actor)
        for team in teams:
            own = [run_id(exercise.id, obj["id"])
                   for obj in for_team(spec, team.placeholder)["stix"]]
            shared = details["taxii"]["objects"] if spec["stix"] else []
            if shared or own:
                session.add(ExerciseDelivery(inject_id=inject.id, team_id=team.team_id,
                                             channel="taxii", delivered_at=now,
                                             detail={"objects": [*shared, *own]}))
    if "webhook" in spec["channels"]:
        for team in teams:
            if team.webhook_url:  # sent later by the scheduler's worker (outbox)
                webhooks.queue(session, exercise, inject, team, spec, now)
    details["expectations"] = _expectations(session, exercise, inject, spec, teams, now)
    audit.record(session, "exercise.inject.release", actor=actor, team=exercise.owner_team,
                 target_type="exercise", target_id=exercise.id, details=details)
    session.flush()
    return inject
