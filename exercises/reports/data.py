"""The after-action report as data (HSEEP AAR/IP structure); renderers format this dict.

Sections: overview, objectives with per-team scores and ratings, a merged timeline (injects
planned, due and actual; control actions with who and when; acknowledgements, responses,
decisions; STIX evidence) with each moment in hub UTC, scenario time (``T+hh:mm`` from STARTEX,
pauses excluded) and every team's local time, reliability (scheduler outages, late releases),
per-team metrics, expectations with verdicts and overrides, evaluator observations,
lessons learned and the improvement plan. Durations are given in hub seconds and, for
rehearsals, in scenario seconds (hub seconds times the speed factor).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from statistics import mean, median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.audit import AuditEvent
from exercises.api.presenters import delay_seconds
from exercises.judging import aftercare, evaluation
from exercises.judging.evidence import EvidenceIndex
from exercises.models import (
    Exercise,
    ExerciseResponse,
    ExpectationResult,
    InjectState,
    StaffRole,
    Verdict,
)
from exercises.reports import reliability
from exercises.reports.scenario_time import scenario_clock
from exercises.runs import lateness, messages
from exercises.runs.planning import inject_spec, local_iso

REPORT_FORMAT = "accord-aar/1"
CONTROL_ACTIONS = ("exercise.pause", "exercise.resume", "exercise.inject.hold",
                   "exercise.inject.unhold", "exercise.inject.skip", "exercise.cancel",
                   "exercise.complete")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _elapsed(exercise: Exercise, moment: datetime) -> float:
    """Hub seconds since STARTEX (or the planned start before it)."""
    return round((moment - (exercise.started_at or exercise.start_at)).total_seconds(), 3)


def _timing(exercise: Exercise, values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean_seconds": None, "median_seconds": None, "max_seconds": None,
                "mean_scenario_seconds": None}
    return {"count": len(values), "mean_seconds": round(mean(values), 3),
            "median_seconds": round(median(values), 3), "max_seconds": round(max(values), 3),
            "mean_scenario_seconds": round(mean(values) * exercise.speed, 3)}


def _staff(exercise: Exercise, role: StaffRole) -> list[str]:
    return sorted(s.user.username for s in exercise.staff if s.role == role)


def _overview(exercise: Exercise, results: list[ExpectationResult]) -> dict[str, Any]:
    document = exercise.document
    roles = {team["id"]: team["role"] for team in document["teams"]}
    states = Counter(inject.state.value for inject in exercise.injects)
    return {
        "teams": [{"team": t.team.name, "placeholder": t.placeholder,
                   "role": roles.get(t.placeholder, ""), "country": t.team.country_code,
                   "timezone": t.team.timezone,
                   "start_local": local_iso(exercise.started_at or exercise.start_at,
                                            t.team.timezone)} for t in exercise.teams],
        "evaluators": _staff(exercise, StaffRole.EVALUATOR),
        "observers": _staff(exercise, StaffRole.OBSERVER),
        "injects": {"total": len(exercise.injects), **{s.value: states.get(s.value, 0)
                                                        for s in InjectState}},
        "verdicts": {v.value: sum(1 for r in results if r.verdict == v) for v in Verdict},
    }


def _objectives(session: Session, exercise: Exercise, results: list[ExpectationResult]
                ) -> list[dict[str, Any]]:
    ratings = {(r.objective, r.team_id): r for r in aftercare.ratings(session, exercise)}
    labels = {item["value"]: item["label"] for item in exercise.document["rating_scale"]}
    injects = {inject.id: inject for inject in exercise.injects}
    weights: dict[tuple[str, Any], list[tuple[float, ExpectationResult]]] = defaultdict(list)
    for result in results:
        spec = evaluation.action_spec(exercise, injects[result.inject_id], result.action_key)
        if spec.get("objective"):
            weights[(spec["objective"], result.team_id)].append((spec["weight"], result))
    objectives = []
    for objective in exercise.document["objectives"]:
        teams = []
        for team in exercise.teams:
            scored = weights.get((objective["id"], team.team_id), [])
            total = sum(weight for weight, _ in scored)
            earned = sum(weight * evaluation.CREDIT.get(r.verdict, 0.0) for weight, r in scored)
            rating = ratings.get((objective["id"], team.team_id))
            teams.append({
                "team": team.team.name,
                "expectations": len(scored),
                "verdicts": dict(sorted(Counter(r.verdict.value for _, r in scored).items())),
                "score": round(earned / total, 3) if total else None,
                "rating": rating.rating if rating else None,
                "rating_label": labels.get(rating.rating) if rating else None,
                "rating_note": rating.note if rating else "",
                "rated_by": rating.rated_by if rating else None,
            })
        objectives.append({"id": objective["id"], "text": objective["text"], "teams": teams})
    return objectives


EventSource = Callable[[Session, Exercise, EvidenceIndex], list[dict[str, Any]]]


def _inject_events(session: Session, exercise: Exercise, index: EvidenceIndex
                   ) -> list[dict[str, Any]]:
    events = []
    for inject in exercise.injects:
        spec = inject_spec(exercise, inject.key)
        at = inject.released_at or inject.due_at
        events.append({"at": at.isoformat(), "kind": "inject", "team": None,
                       "inject": inject.key, "title": spec["title"],
                       "state": inject.state.value, "planned_at": inject.planned_at.isoformat(),
                       "due_at": inject.due_at.isoformat(), "released_at": _iso(inject.released_at),
                       "release_mode": inject.release_mode, "released_by": inject.released_by,
                       "delay_seconds": delay_seconds(inject),
                       "late_seconds": lateness.late_seconds(inject),
                       "audience": spec["audience"]})
    return events


def _response_events(session: Session, exercise: Exercise, index: EvidenceIndex
                     ) -> list[dict[str, Any]]:
    names = {t.team_id: t.team.name for t in exercise.teams}
    keys = {inject.id: inject.key for inject in exercise.injects}
    return [{"at": response.created_at.isoformat(), "kind": response.kind,
             "team": names.get(response.team_id), "inject": keys.get(response.inject_id),
             "author": response.author, "action": response.action_key,
             "text": response.text, "decision": response.decision}
            for response in session.scalars(select(ExerciseResponse).where(
                ExerciseResponse.exercise_id == exercise.id))]


def _stix_events(session: Session, exercise: Exercise, index: EvidenceIndex
                 ) -> list[dict[str, Any]]:
    names = {t.team_id: t.team.name for t in exercise.teams}
    return [{"at": record.date_added.isoformat(), "kind": "stix",
             "team": names.get(team_id, "EXCON"), "stix_id": record.stix_id,
             "stix_type": record.stix_type, "revoked": record.revoked,
             "new_version": record.is_new_version, "exercise_marked": record.marked}
            for team_id, records in index.stix.items() for record in records]


def _control_events(session: Session, exercise: Exercise, index: EvidenceIndex
                    ) -> list[dict[str, Any]]:
    """EXCON's actions with who and when; a hand release ("Release now") is one of them."""
    events = []
    for audited in session.scalars(select(AuditEvent).where(
            AuditEvent.target_type == "exercise", AuditEvent.target_id == str(exercise.id),
            AuditEvent.action.in_((*CONTROL_ACTIONS, "exercise.inject.release")))):
        details = audited.details or {}
        if audited.action == "exercise.inject.release":
            if details.get("mode") != "manual":
                continue
            action = "release_now"
        else:
            action = audited.action.removeprefix("exercise.").removeprefix("inject.")
        events.append({"at": audited.occurred_at.isoformat(), "kind": "control",
                       "team": None, "action": action, "actor": audited.actor_name,
                       "inject": details.get("inject")})
    return events


# Where timeline events come from. Another part of the exercises package that records play
# (e.g. team-to-team messages) adds its source here: a function returning events with at
# least "at" (hub UTC, ISO 8601), "kind" and "team"; the report adds the clocks.
def _message_events(session: Session, exercise: Exercise,
                    _index: EvidenceIndex) -> list[dict[str, Any]]:
    """Team-to-team and EXCON messages (exercises.runs.messages)."""
    return messages.timeline_entries(session, exercise)


EVENT_SOURCES: tuple[EventSource, ...] = (_inject_events, _response_events, _stix_events,
                                          _control_events, _message_events)


def _timeline(session: Session, exercise: Exercise, index: EvidenceIndex) -> list[dict[str, Any]]:
    events = [event for source in EVENT_SOURCES for event in source(session, exercise, index)]
    events.sort(key=lambda e: (e["at"], e["kind"] != "inject"))
    scenario = scenario_clock(session, exercise)
    zones = [(t.team.name, t.team.timezone) for t in exercise.teams]
    for event in events:
        moment = datetime.fromisoformat(event["at"])
        event["elapsed_seconds"] = _elapsed(exercise, moment)
        event["scenario_seconds"] = scenario.seconds(moment)
        event["scenario_time"] = scenario.label(moment)
        event["local"] = {name: local_iso(moment, zone) for name, zone in zones}
    return events


def _metrics(session: Session, exercise: Exercise, results: list[ExpectationResult],
             index: EvidenceIndex) -> list[dict[str, Any]]:
    released = [i for i in exercise.injects if i.released_at is not None]
    first_release = min((i.released_at for i in released if i.released_at), default=None)
    metrics = []
    for team in exercise.teams:
        ack_times: list[float] = []
        delivered = 0
        for inject in released:
            wanted = inject_spec(exercise, inject.key)["audience"]
            if wanted != "all" and team.placeholder not in wanted:
                continue
            delivered += 1
            acks = [r for r in index.responses.get((inject.id, team.team_id), [])
                    if r.kind == "acknowledge"]
            if acks and inject.released_at:
                ack_times.append((acks[0].created_at - inject.released_at).total_seconds())
        first_share = index.first_share(team.team_id, first_release)
        share_seconds = ((first_share - first_release).total_seconds()
                         if first_share and first_release else None)
        own = [r for r in results if r.team_id == team.team_id]
        counts = Counter(r.verdict.value for r in own)
        responses = sum(len(v) for (_, team_id), v in index.responses.items()
                        if team_id == team.team_id)
        metrics.append({
            "team": team.team.name,
            "injects_received": delivered,
            "acknowledged": len(ack_times),
            "time_to_acknowledge": _timing(exercise, ack_times),
            "first_share_at": _iso(first_share),
            "time_to_first_share_seconds": round(share_seconds, 3) if share_seconds is not None
            else None,
            "time_to_first_share_scenario_seconds": round(share_seconds * exercise.speed, 3)
            if share_seconds is not None else None,
            "stix_objects": len(index.stix.get(team.team_id, [])),
            "unmarked_stix_objects": sum(1 for r in index.stix.get(team.team_id, [])
                                         if not r.marked),
            "responses": responses,
            "expectations": {"total": len(own), **{v.value: counts.get(v.value, 0)
                                                    for v in Verdict}},
        })
    return metrics


def build(session: Session, exercise: Exercise) -> dict[str, Any]:
    """The complete after-action report of one run."""
    results = evaluation.results(session, exercise)
    index = EvidenceIndex.load(session, exercise)
    notes = aftercare.notes(session, exercise)
    names = {t.team_id: t.team.name for t in exercise.teams}
    expectation_views = [evaluation.view(exercise, r) for r in results]

    def note_view(note: Any) -> dict[str, Any]:
        return {"kind": note.kind, "team": names.get(note.team_id), "objective": note.objective,
                "author": note.author, "text": note.text, "at": note.created_at.isoformat()}

    return {
        "format": REPORT_FORMAT,
        "generated_at": utcnow().isoformat(),
        "exercise": {
            "id": str(exercise.id), "name": exercise.name, "state": exercise.state.value,
            "rehearsal": exercise.rehearsal, "speed": exercise.speed,
            "owner_team": exercise.owner_team.name,
            "planned_start_at": exercise.start_at.isoformat(),
            "started_at": _iso(exercise.started_at), "ended_at": _iso(exercise.ended_at),
            "paused_seconds": round(exercise.paused_seconds, 3),
            "collection_id": str(exercise.collection_id),
        },
        "scenario": {key: exercise.document[key] for key in
                     ("title", "version", "description", "language", "default_tlp")},
        "overview": _overview(exercise, results),
        "objectives": _objectives(session, exercise, results),
        "timeline": _timeline(session, exercise, index),
        "reliability": reliability.section(session, exercise),
        "metrics": _metrics(session, exercise, results, index),
        "expectations": expectation_views,
        "overrides": [view for view in expectation_views if view["override_reason"]],
        "observations": [note_view(n) for n in notes if n.kind != "lesson"],
        "lessons": [note_view(n) for n in notes if n.kind == "lesson"],
        "improvement_plan": [aftercare.improvement_view(item)
                             for item in aftercare.improvements(session, exercise)],
    }
