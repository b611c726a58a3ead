"""Scheduling a scenario as an exercise for real teams, and the clock arithmetic of a run.

Times are stored in UTC. A scenario offset becomes a planned time ``start + offset / speed``
(speed 1 for the real drill, e.g. 60 for a rehearsal that plays an hour in a minute); pauses
move the *due* time of everything not yet released, while the planned time stays for the
report. Each run gets its own exercise collection, granted to every participating team, plus
one briefing collection per team for injects addressed to some teams only.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest, Conflict
from accord.models.collections import Collection, CollectionKind
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.services import collections, lookup
from accord.tlp import Tlp
from exercises.models import (
    Exercise,
    ExerciseInject,
    ExerciseStaff,
    ExerciseState,
    ExerciseTeam,
    StaffRole,
)
from exercises.scenarios.conditions import planned_offset
from exercises.scenarios.durations import parse_iso

MAX_SPEED = 3600.0
MIN_SPEED = 0.01  # slower than real time, a drill's planned times would leave the calendar
LATEST_START_YEAR = 2999  # later starts plus scenario offsets could leave the calendar
PAST_TOLERANCE = timedelta(minutes=1)
PLAY_TLP = Tlp.AMBER_STRICT  # exercise grants let players read everything but RED


@dataclass
class ScheduleRequest:
    """Everything needed to put a scenario on the calendar."""

    scenario: str
    name: str
    start: datetime
    teams: dict[str, str]
    speed: float = 1.0
    rehearsal: bool = False
    evaluators: list[str] = field(default_factory=list)
    observers: list[str] = field(default_factory=list)
    webhooks: dict[str, str] = field(default_factory=dict)


def parse_start(text: str, timezone: str | None = None) -> datetime:
    """An ISO 8601 start time; a time without offset is read in ``timezone`` (default UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"start: {text[:60]!r} is not an ISO 8601 date and time") from None
    if moment.year > LATEST_START_YEAR:
        raise BadRequest(f"start: must be before the year {LATEST_START_YEAR + 1}")
    if moment.tzinfo is None:
        try:
            zone = zoneinfo.ZoneInfo(timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise BadRequest(f"timezone: unknown time zone {timezone!r}") from None
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before the calendar starts
        raise BadRequest(f"start: {text[:60]!r} is out of range") from None


def local_iso(moment: datetime | None, timezone: str) -> str | None:
    """``moment`` as ISO 8601 in a team's time zone (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).isoformat(timespec="seconds")


def scaled(exercise: Exercise, duration: str | timedelta | float) -> timedelta:
    """A scenario duration as hub time in this run (divided by the rehearsal speed)."""
    if isinstance(duration, str):
        delta = parse_iso(duration)
    elif isinstance(duration, timedelta):
        delta = duration
    else:
        delta = timedelta(seconds=duration)
    return delta / exercise.speed


def scenario_end_offset(document: dict[str, Any]) -> timedelta:
    """When play ends (ENDEX): the scenario's ``duration`` exactly (validation keeps every
    inject and deadline inside it), else the last inject plus its longest deadline."""
    if document.get("duration"):
        return parse_iso(document["duration"])
    ends = [planned_offset(document, inject) + max(
        [parse_iso(a["deadline"]) for a in inject["expected_actions"]] or [timedelta(0)])
        for inject in document["injects"]]
    return max(ends or [timedelta(0)])


def _check_request(request: ScheduleRequest, document: dict[str, Any]) -> None:
    if not request.name.strip():
        raise BadRequest("name: an exercise needs a name")
    if not MIN_SPEED <= request.speed <= MAX_SPEED:
        raise BadRequest(f"speed: must be at least {MIN_SPEED:g} and at most {MAX_SPEED:g}")
    if request.speed != 1 and not request.rehearsal:
        raise BadRequest("speed: a speed factor other than 1 is only for rehearsals "
                         "(set rehearsal)")
    if request.start < utcnow() - PAST_TOLERANCE:
        raise BadRequest("start: is in the past")
    placeholders = {team["id"] for team in document["teams"]}
    missing = sorted(placeholders - set(request.teams))
    extra = sorted(set(request.teams) - placeholders)
    if missing:
        raise BadRequest(f"teams: no team mapped to placeholder(s) {', '.join(missing)}")
    if extra:
        raise BadRequest(f"teams: the scenario has no placeholder(s) {', '.join(extra)}")
    unknown = sorted(set(request.webhooks) - placeholders)
    if unknown:
        raise BadRequest(f"webhooks: the scenario has no placeholder(s) {', '.join(unknown)}")
    for placeholder, url in request.webhooks.items():
        if not url.startswith(("http://", "https://")):
            raise BadRequest(f"webhooks.{placeholder}: must be an http(s) URL")


def _check_name_free(session: Session, name: str) -> None:
    """409 when another exercise has this name (case-insensitive): names pick exercises in the
    CLI, the web and reports, and title their collections."""
    taken = session.scalar(select(Exercise.id).where(func.lower(Exercise.name) == name.lower())
                           .limit(1))
    if taken is not None:
        raise Conflict(f"name: an exercise named {name!r} already exists; choose another name")


def _collections(session: Session, exercise: Exercise, teams: dict[str, Team], tlp: Tlp
                 ) -> tuple[Collection, dict[str, Collection]]:
    """The shared play collection and one read-only briefing collection per team."""
    owner = exercise.owner_team
    play = collections.create_collection(
        session, f"Exercise {exercise.name}", owner.name,
        "Exercise play collection. EXERCISE — NOT REAL: never use operationally.",
        kind=CollectionKind.EXERCISE, default_tlp=tlp)
    for team in teams.values():
        collections.grant(session, str(play.id), team.name, True, True, PLAY_TLP)
    briefings = {}
    for placeholder, team in teams.items():
        briefing = collections.create_collection(
            session, f"Exercise {exercise.name}: briefing for {team.name}", owner.name,
            f"Injects addressed to {team.name} only. EXERCISE — NOT REAL.",
            kind=CollectionKind.EXERCISE, default_tlp=tlp)
        if team.id != owner.id:
            collections.revoke(session, str(briefing.id), owner.name)
        collections.grant(session, str(briefing.id), team.name, True, False, PLAY_TLP)
        briefings[placeholder] = briefing
    return play, briefings


def _staff(session: Session, exercise: Exercise, usernames: list[str], role: StaffRole) -> None:
    for username in usernames:
        user = lookup.user(session, username)
        if role == StaffRole.EVALUATOR and user.role not in (Role.EVALUATOR, Role.COORDINATOR,
                                                             Role.ADMIN):
            raise BadRequest(f"evaluators: user {username!r} has role {user.role.value}, "
                             "not evaluator")
        if any(s.user_id == user.id for s in exercise.staff):
            raise Conflict(f"user {username!r} is listed twice among evaluators and observers")
        exercise.staff.append(ExerciseStaff(user_id=user.id, user=user, role=role))


def _injects(exercise: Exercise, document: dict[str, Any]) -> None:
    ordered = sorted(enumerate(document["injects"]),
                     key=lambda pair: (planned_offset(document, pair[1]), pair[0]))
    for sequence, (_, inject) in enumerate(ordered, start=1):
        offset = planned_offset(document, inject)
        planned = exercise.start_at + scaled(exercise, offset)
        exercise.injects.append(ExerciseInject(
            key=inject["id"], sequence=sequence, offset_seconds=offset.total_seconds(),
            planned_at=planned, due_at=planned, held=bool(inject.get("hold"))))


def schedule_exercise(session: Session, request: ScheduleRequest, actor: User | None,
                      owner_team: str | None = None) -> Exercise:
    """Create a scheduled run of a stored scenario (see the module docstring)."""
    from exercises.scenarios import library  # scenario files (YAML): only when scheduling

    scenario = library.find(session, request.scenario)
    document = scenario.document
    _check_request(request, document)
    _check_name_free(session, request.name.strip())
    teams = {placeholder: lookup.team(session, ref) for placeholder, ref in request.teams.items()}
    if len({team.id for team in teams.values()}) != len(teams):
        raise BadRequest("teams: map each placeholder to a different team")
    owner = lookup.team(session, owner_team) if owner_team else actor.team if actor else None
    if owner is None:
        raise BadRequest("owner_team: say which team runs the exercise (EXCON)")
    tlp = Tlp.parse(document["default_tlp"])
    exercise = Exercise(
        name=request.name.strip(), scenario_id=scenario.id, document=document,
        owner_team=owner, owner_team_id=owner.id, state=ExerciseState.SCHEDULED,
        start_at=request.start, speed=float(request.speed), rehearsal=request.rehearsal,
        end_at=request.start + scenario_end_offset(document) / request.speed)
    play, briefings = _collections(session, exercise, teams, tlp)
    exercise.collection_id = play.id
    session.add(exercise)
    for placeholder, team in teams.items():
        exercise.teams.append(ExerciseTeam(
            placeholder=placeholder, team=team, team_id=team.id,
            briefing_collection_id=briefings[placeholder].id,
            webhook_url=request.webhooks.get(placeholder)))
    _staff(session, exercise, request.evaluators, StaffRole.EVALUATOR)
    _staff(session, exercise, request.observers, StaffRole.OBSERVER)
    _injects(exercise, document)
    session.flush()
    audit.record(session, "exercise.schedule", actor=actor, target_type="exercise",
                 target_id=exercise.id,
                 details={"name": exercise.name, "scenario": f"{scenario.title}@{scenario.version}",
                          "start_at": exercise.start_at.isoformat(), "speed": exercise.speed,
                          "rehearsal": exercise.rehearsal,
                          "teams": {p: t.name for p, t in teams.items()}})
    return exercise


def inject_spec(exercise: Exercise, key: str) -> dict[str, Any]:
    """The scenario definition of inject ``key`` as frozen in this run."""
    for inject in exercise.document["injects"]:
        if inject["id"] == key:
            return dict(inject)
    raise KeyError(key)


def audience(exercise: Exercise, spec: dict[str, Any]) -> list[ExerciseTeam]:
    """The run's teams an inject (or expected action, given its inject's audience) goes to."""
    wanted = spec["audience"]
    return [team for team in exercise.teams if wanted == "all" or team.placeholder in wanted]


def find_inject(exercise: Exercise, key: str) -> ExerciseInject:
    for inject in exercise.injects:
        if inject.key == key or str(inject.id) == key:
            return inject
    raise BadRequest(f"inject: exercise {exercise.name!r} has no inject {key!r}")
