"""Scheduling an exercise from the web: team mapping, staff, and a time-zone preview.

The form posts to itself: *Preview* shows the start and every inject's planned time in each
mapped team's own time zone; *Schedule* creates the run through
``exercises.runs.planning.schedule_exercise``, exactly as the JSON API does.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session
from accord.errors import AccordError, BadRequest
from accord.models.teams import Team
from accord.models.users import Role
from accord.services import lookup
from accord.services import teams as team_service
from accord.services import users as user_service
from accord.web import forms
from accord.web.sessions import current_user, role_required
from exercises.models import Scenario
from exercises.runs import job_sync, planning
from exercises.scenarios import library
from exercises.scenarios.conditions import planned_offset

bp = Blueprint("schedule", __name__, url_prefix="/exercises/schedule")
coordinators = role_required(Role.COORDINATOR)
COMMON_ZONES = ("UTC", "Asia/Ho_Chi_Minh", "Asia/Singapore", "Asia/Tokyo", "Europe/Tallinn",
                "Europe/Paris", "Europe/London", "America/Santiago", "America/New_York",
                "Africa/Nairobi", "Australia/Sydney")


@dataclass
class PreviewRow:
    """One line of the preview: an inject (or the start) as each team will see it."""

    label: str
    utc: datetime
    local: list[tuple[str, str]]


def _scenario(ref: str) -> Scenario | None:
    return library.find(get_session(), ref) if ref else None


def _request(record: Scenario) -> planning.ScheduleRequest:
    """The schedule request the form describes; a bad field is a 400 naming it."""
    placeholders = [team["id"] for team in record.document["teams"]]
    mapping = {p: forms.text(f"team-{p}") for p in placeholders}
    missing = [p for p, name in mapping.items() if not name]
    if missing:
        raise BadRequest(f"teams: choose a team for {', '.join(missing)}")
    rehearsal = forms.checked("rehearsal")
    return planning.ScheduleRequest(
        scenario=str(record.id), name=forms.text("name"),
        start=planning.parse_start(forms.text("start"), forms.text("timezone") or "UTC"),
        teams=mapping, speed=(forms.optional_float("speed") or 1.0) if rehearsal else 1.0,
        rehearsal=rehearsal, evaluators=request.form.getlist("evaluators"),
        observers=request.form.getlist("observers"))


def _local(moment: datetime, team: Team) -> str:
    zone = zoneinfo.ZoneInfo(team.timezone or "UTC")
    return moment.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def preview(record: Scenario, plan: planning.ScheduleRequest) -> list[PreviewRow]:
    """Start and each inject's planned time, in UTC and in every mapped team's time zone."""
    session = get_session()
    mapped = [lookup.team(session, name) for name in plan.teams.values()]
    rows = [PreviewRow("Start", plan.start, [(t.name, _local(plan.start, t)) for t in mapped])]
    document = record.document
    for inject in sorted(document["injects"], key=lambda i: planned_offset(document, i)):
        moment = plan.start + planned_offset(document, inject) / plan.speed
        rows.append(PreviewRow(f"{inject['id']} {inject['title']}", moment,
                               [(t.name, _local(moment, t)) for t in mapped]))
    return rows


def _page(record: Scenario | None, rows: list[PreviewRow] | None = None,
          status: int = 200) -> tuple[str, int]:
    session = get_session()
    people = user_service.list_users(session)
    return render_template(
        "exercises/schedule.html", scenarios=library.list_scenarios(session), record=record,
        teams=team_service.list_teams(session), zones=COMMON_ZONES, preview=rows,
        evaluators=[u for u in people if u.role == Role.EVALUATOR and u.active],
        observers=[u for u in people if u.role == Role.OBSERVER and u.active],
        placeholders=record.document["teams"] if record else [], form=request.form,
        default_zone=current_user().team.timezone or "UTC"), status


@bp.get("/")
@coordinators
def form() -> tuple[str, int]:
    """The empty form, or the form for the scenario chosen in ``?scenario=``."""
    return _page(_scenario(request.args.get("scenario", "")))


@bp.post("/")
@coordinators
def submit() -> tuple[str, int] | WerkzeugResponse:
    """Preview the plan, or schedule it."""
    db = get_session()
    record = _scenario(forms.text("scenario"))
    if record is None:
        return _page(None)
    try:
        plan = _request(record)
        if forms.text("intent") != "schedule":
            return _page(record, preview(record, plan))
        run = planning.schedule_exercise(db, plan, current_user())
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _page(record, status=exc.status)
    db.commit()
    job_sync.sync_jobs(current_app, run.id)
    flash(f"Exercise {run.name} scheduled.", "success")
    return redirect(url_for("web.exercises.show", ref=str(run.id)), code=303)

