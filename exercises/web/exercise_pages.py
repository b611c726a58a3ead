"""Exercise pages: the list, EXCON's live console and the player inbox.

Access, control and play go through ``exercises.access``, ``exercises.runs.control`` and
``exercises.runs.play`` exactly as the JSON API does; the page only renders their
presenters. The live region refreshes itself by polling ``/live`` (static/poll.js, no inline
script).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from accord import audit
from accord.db import get_session
from accord.errors import AccordError, BadRequest
from accord.web import forms
from accord.web.sessions import current_user, login_required
from exercises import access, reports
from exercises.api import presenters
from exercises.judging import evaluation
from exercises.models import Exercise, Verdict
from exercises.reports import data as report_data
from exercises.runs import actions, feedback, job_sync, messages, planning, play

bp = Blueprint("exercises", __name__, url_prefix="/exercises", template_folder="templates")

def _context(run: Exercise) -> dict[str, Any]:
    """What the exercise page shows this user: the console for staff, the inbox for players."""
    db, user = get_session(), current_user()
    viewer = access.is_viewer(run, user)
    team = None if viewer else access.require_player(run, user)
    scope = None if viewer else team.placeholder if team else None
    zone = team.team.timezone if team else user.team.timezone
    return {
        "run": run,
        "status": presenters.status(db, run) if viewer else presenters.summary(run),
        "controller": access.is_controller(run, user),
        "judge": access.is_judge(run, user),
        "verdicts": [verdict.value for verdict in Verdict if verdict != Verdict.PENDING],
        "report_formats": reports.FORMATS,
        "inbox": play.inbox(db, run, team) if team is not None else None,
        "team": team,
        "threads": [messages.thread_view(run, t, zone)
                    for t in messages.threads(db, run, scope)],
        "writes_as": "excon" if viewer and access.is_controller(run, user)
        else scope,
        "feedback_open": feedback.is_open(run),
        "feedback_closes": feedback.closes_at(run),
        "feedback": feedback.entries(db, run, team if not viewer else None),
        "message_targets": [(t.placeholder, t.team.name) for t in run.teams
                            if t.placeholder != scope] + [("excon", "EXCON")],
    }


@bp.get("/")
@login_required
def index() -> str:
    """Exercises the user runs, judges, observes or plays in."""
    runs = access.visible_exercises(get_session(), current_user())
    return render_template("exercises/list.html", runs=runs, timezone=current_user().team.timezone)


@bp.get("/<ref>")
@login_required
def show(ref: str) -> str:
    return render_template("exercises/show.html", **_context(access.load(get_session(), ref)))


@bp.get("/<ref>/live")
@login_required
def live(ref: str) -> str:
    """Just the live region, for the polling script."""
    return render_template("exercises/_live.html", **_context(access.load(get_session(), ref)))


def _done(run: Exercise, message: str, sync: bool) -> WerkzeugResponse:
    get_session().commit()
    if sync:
        job_sync.sync_jobs(current_app, run.id)
    flash(message, "success")
    return redirect(url_for("web.exercises.show", ref=str(run.id)), code=303)


def _failed(ref: str, exc: AccordError) -> WerkzeugResponse:
    get_session().rollback()
    forms.flash_error(exc)
    return redirect(url_for("web.exercises.show", ref=ref), code=303)


@bp.post("/<ref>/control/<action>")
@login_required
def run_action(ref: str, action: str) -> WerkzeugResponse:
    """Pause, resume or complete the run (EXCON only)."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    access.require_control(run, user)
    try:
        actions.run_action(action).apply(db, run, user)
    except AccordError as exc:
        return _failed(ref, exc)
    return _done(run, f"Exercise {action} done.", sync=True)


@bp.post("/<ref>/injects/<key>/<action>")
@login_required
def inject_action(ref: str, key: str, action: str) -> WerkzeugResponse:
    """Release now, hold, unhold or skip one inject (EXCON only)."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    access.require_control(run, user)
    try:
        actions.inject_action(action).apply(db, run, planning.find_inject(run, key), user)
    except AccordError as exc:
        return _failed(ref, exc)
    return _done(run, f"Inject {key}: {action} done.", sync=True)


@bp.post("/<ref>/inbox/<key>")
@login_required
def respond(ref: str, key: str) -> WerkzeugResponse:
    """Acknowledge an inject, answer one of its expected actions (free text or a decision),
    or sign off a joint decision, for the user's team: everything the API accepts."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    team = access.require_player(run, user)
    try:
        inject = planning.find_inject(run, key)
        kind = forms.text("kind")
        if kind == "acknowledge":
            play.acknowledge(db, run, inject, team, user)
        elif kind == "signoff":
            play.sign_off(db, run, inject, team, user, forms.text("action"),
                          forms.text("decision"))
        else:
            play.respond(db, run, inject, team, user, forms.text("text"),
                         forms.text("action") or None, forms.text("decision") or None)
        evaluation.evaluate(db, run)  # live verdicts; conditional injects wait on them
    except AccordError as exc:
        return _failed(ref, exc)
    return _done(run, f"Recorded for inject {key}.", sync=True)


@bp.get("/<ref>/inbox/<key>/attachments/<int:index>")
@login_required
def attachment(ref: str, key: str, index: int) -> Response:
    """Download one file attached to an inject in the user's team inbox."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    team = access.require_player(run, user)
    return play.attachment_response(db, run, planning.find_inject(run, key), team, user, index)


@bp.post("/<ref>/feedback")
@login_required
def give_feedback(ref: str) -> WerkzeugResponse:
    """A player's feedback or lesson learned (open after ENDEX for the scenario's window)."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    team = access.require_player(run, user)
    try:
        feedback.submit(db, run, team, user, forms.text("kind"), forms.text("text"))
    except AccordError as exc:
        return _failed(ref, exc)
    return _done(run, "Thank you: feedback recorded.", sync=False)


@bp.post("/<ref>/expectations/<result_id>/judge")
@login_required
def judge(ref: str, result_id: str) -> WerkzeugResponse:
    """An evaluator's verdict on one team's expected action.

    Manual actions are judged (the note is optional); automatic ones are overridden, and then
    the note is the mandatory reason shown in the report.
    """
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    access.require_judge(run, user)
    try:
        result = evaluation.find_result(db, run, result_id)
        if result.evidence_kind == "manual":
            evaluation.judge(db, run, result, forms.text("verdict"), forms.text("note"), user)
        elif not forms.text("note"):
            raise BadRequest("note: give the reason for overriding an automatic verdict")
        else:
            evaluation.override(db, run, result, forms.text("verdict"), forms.text("note"), user)
    except AccordError as exc:
        return _failed(ref, exc)
    return _done(run, "Verdict recorded.", sync=False)


# The stand-alone HTML report carries its own <style>; it gets no script and no framing.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


@bp.get("/<ref>/report")
@login_required
def report(ref: str) -> Response:
    """The after-action report: HTML to read in the browser, Markdown or JSON to download."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    access.require_view(run, user)
    fmt = request.args.get("format", "html")
    if fmt not in reports.FORMATS:
        raise BadRequest(f"format: must be one of {', '.join(reports.FORMATS)}")
    built = report_data.build(db, run)
    audit.record(db, "exercise.report.read", target_type="exercise", target_id=run.id,
                 details={"format": fmt, "via": "web"})
    db.commit()
    response = Response(reports.render(built, fmt), content_type=reports.MEDIA_TYPES[fmt])
    if fmt == "html":
        response.headers["Content-Security-Policy"] = REPORT_CSP
    else:
        name = f"report-{run.id}.{reports.EXTENSIONS[fmt]}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
