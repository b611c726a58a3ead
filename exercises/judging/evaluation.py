"""Judging expected actions: automatically from hub records, or by an evaluator.

Automatic verdicts (``acknowledge``, ``response``, ``stix``): *met* when the evidence came by
the deadline, *late* when it came after, *missed* when the deadline passed (or play ended)
with none, *pending* otherwise. ``manual`` actions wait for an evaluator: *met*, *partially
met*, *not met* or *not observed* (HSEEP's P/S/M/U in spirit), with a note. An evaluator may
override an automatic verdict, but only with a reason, which the report shows.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest, Conflict, NotFound
from accord.models.users import User
from exercises.judging.evidence import Evidence, EvidenceIndex
from exercises.models import Exercise, ExerciseInject, ExpectationResult, Verdict
from exercises.runs.planning import inject_spec, scaled

MANUAL_VERDICTS = (Verdict.MET, Verdict.PARTIALLY_MET, Verdict.NOT_MET, Verdict.NOT_OBSERVED)
OVERRIDE_VERDICTS = (Verdict.MET, Verdict.LATE, Verdict.MISSED, Verdict.PARTIALLY_MET,
                     Verdict.NOT_MET, Verdict.NOT_OBSERVED)
# Share of an action's weight each verdict earns in objective scores.
CREDIT = {Verdict.MET: 1.0, Verdict.LATE: 0.5, Verdict.PARTIALLY_MET: 0.5}


def action_spec(exercise: Exercise, inject: ExerciseInject, key: str) -> dict[str, Any]:
    """The scenario definition of expected action ``key`` of ``inject``."""
    for action in inject_spec(exercise, inject.key)["expected_actions"]:
        if action["id"] == key:
            return dict(action)
    raise KeyError(key)


def results(session: Session, exercise: Exercise) -> list[ExpectationResult]:
    """Every expectation of the run, in inject order then action and team."""
    order = {inject.id: inject.sequence for inject in exercise.injects}
    rows = list(session.scalars(select(ExpectationResult).where(
        ExpectationResult.exercise_id == exercise.id)))
    return sorted(rows, key=lambda r: (order.get(r.inject_id, 0), r.action_key, r.team.name))


def _evidence(index: EvidenceIndex, exercise: Exercise, inject: ExerciseInject,
              result: ExpectationResult, rows: list[ExpectationResult]) -> Evidence | None:
    action = action_spec(exercise, inject, result.action_key)
    if action.get("joint"):
        teams = [r.team_id for r in rows
                 if r.inject_id == inject.id and r.action_key == result.action_key]
        return index.joint_evidence(inject, action, teams) if inject.released_at else None
    return index.find(inject, result.team_id, action)


def counted_deadline(exercise: Exercise, result: ExpectationResult,
                     rows: list[ExpectationResult]) -> datetime | None:
    """The deadline of an action counted from another team's action (``deadline_from``):
    the referenced action's first evidence (never before this inject's release) plus the
    deadline; until that evidence exists, the end of play. None for ordinary actions."""
    injects = {inject.id: inject for inject in exercise.injects}
    inject = injects[result.inject_id]
    action = action_spec(exercise, inject, result.action_key)
    ref = action.get("deadline_from")
    if not ref:
        return None
    keys = {i.key: i.id for i in exercise.injects}
    teams = {t.placeholder: t.team_id for t in exercise.teams}
    starts = [r.evidence_at for r in rows
              if r.inject_id == keys.get(ref["inject"]) and r.action_key == ref["action"]
              and (ref.get("team") is None or r.team_id == teams.get(ref["team"]))
              and r.evidence_at is not None]
    if not starts:
        return exercise.end_at
    start = max(min(starts), inject.released_at or min(starts))
    return start + scaled(exercise, action["deadline"])


def evaluate(session: Session, exercise: Exercise, *, final: bool = False,
             now: datetime | None = None) -> dict[str, int]:
    """Refresh every automatic verdict; ``final`` (ENDEX) turns open ones into *missed*."""
    now = now or utcnow()
    index = EvidenceIndex.load(session, exercise)
    injects = {inject.id: inject for inject in exercise.injects}
    counts: Counter[str] = Counter()
    rows = results(session, exercise)
    for result in rows:  # evidence first: deadlines may count from another team's evidence
        if result.evidence_kind != "manual":
            found = _evidence(index, exercise, injects[result.inject_id], result, rows)
            result.evidence_at = found.at if found else None
            result.evidence = found.detail if found else {}
    for result in rows:
        counted = counted_deadline(exercise, result, rows)
        if counted is not None:
            result.deadline_at = counted
        if result.evidence_kind != "manual":
            if result.evidence_at is not None:
                on_time = result.evidence_at <= result.deadline_at
                result.auto_verdict = Verdict.MET if on_time else Verdict.LATE
            else:
                closed = final or now > result.deadline_at
                result.auto_verdict = Verdict.MISSED if closed else Verdict.PENDING
        counts[result.verdict.value] += 1
    session.flush()
    return dict(sorted(counts.items()))


def find_result(session: Session, exercise: Exercise, ref: str) -> ExpectationResult:
    """An expectation by id, or by ``INJECT/ACTION/TEAM`` (team name)."""
    try:
        found = session.get(ExpectationResult, uuid.UUID(ref))
    except ValueError:
        found = None
        parts = ref.split("/", 2)
        if len(parts) == 3:
            keys = {inject.key: inject.id for inject in exercise.injects}
            found = next((r for r in results(session, exercise)
                          if r.inject_id == keys.get(parts[0]) and r.action_key == parts[1]
                          and r.team.name == parts[2]), None)
    if found is None or found.exercise_id != exercise.id:
        raise NotFound(f"exercise {exercise.name!r} has no expectation {ref!r}")
    return found


def _verdict(text: str, allowed: tuple[Verdict, ...]) -> Verdict:
    try:
        verdict = Verdict(text.strip().lower().replace(" ", "_"))
    except ValueError:
        verdict = None
    if verdict not in allowed:
        raise BadRequest(f"verdict: {text!r} is not one of "
                         f"{', '.join(v.value for v in allowed)}")
    return verdict


def _apply(session: Session, exercise: Exercise, result: ExpectationResult, verdict: Verdict,
           note: str, actor: User | None, reason: str | None, action: str) -> ExpectationResult:
    result.judged_verdict = verdict
    result.judged_by = actor.username if actor else "cli"
    result.judged_at = utcnow()
    result.note = note
    result.override_reason = reason
    audit.record(session, f"exercise.expectation.{action}", actor=actor, target_type="exercise",
                 target_id=exercise.id,
                 details={"expectation": str(result.id), "action": result.action_key,
                          "team": result.team.name, "verdict": verdict.value,
                          "auto_verdict": result.auto_verdict.value if result.auto_verdict
                          else None, "reason": reason, "note": note})
    session.flush()
    return result


def judge(session: Session, exercise: Exercise, result: ExpectationResult, verdict: str,
          note: str = "", actor: User | None = None) -> ExpectationResult:
    """An evaluator's verdict on a ``manual`` expected action."""
    if result.evidence_kind != "manual":
        raise Conflict(f"expectation {result.action_key!r} is judged automatically "
                       f"({result.evidence_kind}); override it with a reason instead")
    return _apply(session, exercise, result, _verdict(verdict, MANUAL_VERDICTS), note.strip(),
                  actor, None, "judge")


def override(session: Session, exercise: Exercise, result: ExpectationResult, verdict: str,
             reason: str, actor: User | None = None) -> ExpectationResult:
    """Replace an automatic verdict; the reason is mandatory and shown in the report."""
    if result.evidence_kind == "manual":
        raise Conflict(f"expectation {result.action_key!r} is manual; judge it instead")
    if not reason.strip():
        raise BadRequest("reason: overriding an automatic verdict needs a reason")
    return _apply(session, exercise, result, _verdict(verdict, OVERRIDE_VERDICTS), "",
                  actor, reason.strip(), "override")


def view(exercise: Exercise, result: ExpectationResult) -> dict[str, Any]:
    """A JSON-ready description of one expectation and its verdict."""
    inject = next(i for i in exercise.injects if i.id == result.inject_id)
    spec = action_spec(exercise, inject, result.action_key)
    return {
        "id": str(result.id),
        "inject": inject.key,
        "action": result.action_key,
        "text": spec["text"],
        "objective": spec.get("objective"),
        "weight": spec["weight"],
        "team": result.team.name,
        "evidence_kind": result.evidence_kind,
        "deadline_at": result.deadline_at.isoformat(),
        "verdict": result.verdict.value,
        "auto_verdict": result.auto_verdict.value if result.auto_verdict else None,
        "evidence_at": result.evidence_at.isoformat() if result.evidence_at else None,
        "evidence": result.evidence,
        "judged_by": result.judged_by,
        "note": result.note,
        "override_reason": result.override_reason,
    }
