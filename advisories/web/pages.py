"""Advisory pages: the team's inbox, an advisory with Acknowledge and status (and, for its
coordinators, Update and Close), the issue form, and the coordinator's matrix (constituents ×
steps) that refreshes itself, with CSV and leadership report links.

Every change goes through ``advisories.responses`` / ``advisories.issuing`` exactly as the JSON
API does; the issue form is read by the API's own parser (``advisories.spec.read_spec``), and
the STIX pasted into a form is stored through the hub's one write path when the advisory is
published. The matrix is computed once, by :func:`advisories.matrix.build`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
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
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session, utcnow
from accord.errors import AccordError, Forbidden
from accord.models.teams import Team, TrustGroup
from accord.models.users import Role, User
from accord.tlp import Tlp
from accord.web import forms
from accord.web.sessions import current_user, login_required, role_required
from advisories import access, deadlines, downloads, issuing, matrix, report, responses
from advisories.models import Advisory, AdvisoryRecipient, Evidence, RecipientStatus, Severity
from advisories.spec import choice, objects_from_text, read_spec
from advisories.timing import duration_text, lateness
from advisories.web.rendering import safe_markdown

bp = Blueprint("advisories", __name__, url_prefix="/advisories", template_folder="templates")
MATRIX_POLL_SECONDS = 5
MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
STATUS_LABELS = {RecipientStatus.NOT_AFFECTED: "Not affected",
                 RecipientStatus.INVESTIGATING: "Investigating",
                 RecipientStatus.MITIGATED: "Mitigated",
                 RecipientStatus.NEEDS_HELP: "Needs help"}


def is_manager(advisory: Advisory, user: User) -> bool:
    """Coordinators and admins of the issuing team follow the matrix and issue updates."""
    return advisory.issuer_team_id == user.team_id and user.role in MANAGERS


def _require_manager(advisory: Advisory, user: User) -> None:
    if not is_manager(advisory, user):
        raise Forbidden("only coordinators of the issuing team follow this advisory's matrix")


def _mine(advisory: Advisory, user: User) -> AdvisoryRecipient | None:
    return next((r for r in advisory.recipients if r.team_id == user.team_id), None)


def _item(advisory: Advisory, user: User) -> dict[str, Any]:
    """One advisory as the inbox and the advisory page show it to this user's team."""
    db = get_session()
    row = _mine(advisory, user)
    found = matrix.steps(db, advisory, row, utcnow()) if row is not None else {}
    ack, status = found.get("acknowledged"), found.get("status")
    return {"advisory": advisory, "tlp": Tlp.parse(advisory.tlp), "row": row,
            "ack_deadline": advisory.issued_at + timedelta(seconds=advisory.ack_within_seconds),
            "status_deadline": advisory.issued_at
            + timedelta(seconds=advisory.status_within_seconds),
            "ack_late": lateness(ack.late_seconds) if ack else "",
            "status_late": lateness(status.late_seconds) if status else "",
            "needs_update_ack": row is not None and row.acknowledged_at is not None
            and row.acknowledged_version < advisory.version,
            "issuer": is_manager(advisory, user)}


@bp.get("/")
@login_required
def inbox() -> str:
    """The team's advisories, newest first, with deadlines in the team's time zone."""
    user = current_user()
    items = [_item(a, user) for a in access.visible(get_session(), user)]
    return render_template("advisories/inbox.html", items=items, zone=user.team.timezone,
                           can_issue=user.role in MANAGERS, labels=STATUS_LABELS)


def _show_page(advisory: Advisory, user: User, update: Mapping[str, str] | None = None) -> str:
    """The advisory page; ``update`` refills the update form after a refused update."""
    values = update if update is not None else {
        "title": advisory.title, "severity": advisory.severity.value, "body": advisory.body}
    return render_template("advisories/show.html", item=_item(advisory, user),
                           body=safe_markdown(advisory.body), zone=user.team.timezone,
                           statuses=STATUS_LABELS, update=values, severities=list(Severity))


@bp.get("/<ref>")
@login_required
def show(ref: str) -> str:
    user = current_user()
    return _show_page(access.load_visible(get_session(), ref, user), user)


def _answer(ref: str, action: str) -> WerkzeugResponse:
    """Acknowledge or report status, then back to the advisory with the outcome shown."""
    db, user = get_session(), current_user()
    advisory = access.load_visible(db, ref, user)
    try:
        if action == "acknowledge":
            responses.acknowledge(db, advisory, user)
            message = f"{advisory.ref} version {advisory.version} acknowledged."
        else:
            row = responses.report_status(db, advisory, user, forms.text("status"),
                                          forms.text("note"))
            label = STATUS_LABELS[row.status] if row.status else ""
            message = f"Status of {advisory.ref}: {label}."
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return redirect(url_for("web.advisories.show", ref=advisory.ref), code=303)
    db.commit()
    flash(message, "success")
    return redirect(url_for("web.advisories.show", ref=advisory.ref), code=303)


@bp.post("/<ref>/acknowledge")
@login_required
def acknowledge(ref: str) -> WerkzeugResponse:
    return _answer(ref, "acknowledge")


@bp.post("/<ref>/status")
@login_required
def status(ref: str) -> WerkzeugResponse:
    return _answer(ref, "status")


def _issue_choices() -> dict[str, Any]:
    db = get_session()
    return {"groups": db.scalars(select(TrustGroup).order_by(TrustGroup.name)).all(),
            "teams": db.scalars(select(Team).order_by(Team.name)).all(),
            "severities": list(Severity), "tlps": list(Tlp), "evidences": list(Evidence)}


def _form_objects() -> list[Any]:
    """The STIX pasted into the form's ``objects`` field (none if empty); 400 naming it."""
    return objects_from_text(request.form.get("objects", ""),
                             int(current_app.config["TAXII_MAX_CONTENT_LENGTH"]))


def form_request() -> dict[str, Any]:
    """The issue form as the JSON body the API takes, so one parser checks both."""
    data: dict[str, Any] = {
        key: forms.text(key) for key in ("title", "severity", "tlp", "evidence")}
    data["objects"] = _form_objects()
    data["body"] = request.form.get("body", "")
    for key in ("acknowledge_within", "status_within"):
        if forms.text(key):
            data[key] = forms.text(key)
    data["recipients"] = {"groups": request.form.getlist("groups"),
                          "teams": request.form.getlist("teams"),
                          "all": forms.checked("all")}
    return data


@bp.get("/new")
@role_required(Role.COORDINATOR)
def new() -> str:
    return render_template("advisories/new.html", values={}, **_issue_choices())


@bp.post("/")
@role_required(Role.COORDINATOR)
def issue() -> tuple[str, int] | WerkzeugResponse:
    """Issue from the form; a bad field is shown in place (400) and nothing is stored."""
    db = get_session()
    try:
        advisory = issuing.issue(db, current_user(), read_spec(form_request()))
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return render_template("advisories/new.html", values=request.form,
                               **_issue_choices()), exc.status
    db.commit()
    deadlines.sync_jobs(current_app, advisory)
    flash(f"{advisory.ref} issued to {len(advisory.recipients)} teams.", "success")
    return redirect(url_for("web.advisories.matrix_page", ref=advisory.ref), code=303)


def _managed(ref: str) -> Advisory:
    """The advisory, for a coordinator of its issuing team only (404 / 403 otherwise)."""
    user = current_user()
    advisory = access.load_visible(get_session(), ref, user)
    _require_manager(advisory, user)
    return advisory


def _matrix_context(advisory: Advisory) -> dict[str, Any]:
    db = get_session()
    view = matrix.build(db, advisory, request.args.get("group") or None)
    db.commit()  # evidence times found while building the matrix are kept
    return {"advisory": advisory, "tlp": Tlp.parse(advisory.tlp), "view": view,
            "zone": current_user().team.timezone, "lateness": lateness,
            "duration_text": duration_text, "labels": STATUS_LABELS, "now": utcnow(),
            "report_formats": report.FORMATS, "poll_seconds": MATRIX_POLL_SECONDS}


@bp.get("/<ref>/matrix")
@login_required
def matrix_page(ref: str) -> str:
    """Constituents × steps, late ones flagged with by how much; ``?group=`` filters. The
    table refreshes itself from :func:`matrix_live` (static/poll.js, no inline script)."""
    return render_template("advisories/matrix.html", **_matrix_context(_managed(ref)))


@bp.get("/<ref>/matrix/live")
@login_required
def matrix_live(ref: str) -> str:
    """Just the matrix's live region (summary and table), for the polling script."""
    return render_template("advisories/_matrix_live.html", **_matrix_context(_managed(ref)))


@bp.get("/<ref>/matrix.csv")
@login_required
def matrix_csv(ref: str) -> Response:
    advisory = _managed(ref)
    db = get_session()
    found = matrix.build(db, advisory, request.args.get("group") or None)
    db.commit()
    return downloads.matrix_csv(advisory, found)


@bp.get("/<ref>/report")
@login_required
def report_page(ref: str) -> Response:
    """The leadership report, as the API serves it, for the signed-in coordinator."""
    advisory = _managed(ref)
    db = get_session()
    response = downloads.report_response(db, advisory, request.args.get("format", "html"),
                                         request.args.get("group") or None)
    db.commit()
    return response


def _changed(advisory: Advisory, message: str) -> WerkzeugResponse:
    """Commit an update or closure, keep the scheduler's jobs in step, back to the page."""
    get_session().commit()
    deadlines.sync_jobs(current_app, advisory)
    flash(message, "success")
    return redirect(url_for("web.advisories.show", ref=advisory.ref), code=303)


@bp.post("/<ref>/update")
@login_required
def update(ref: str) -> tuple[str, int] | WerkzeugResponse:
    """A new version from the page's update form (title, severity, body, more STIX); a bad
    field is shown in place (400) with what was typed, and nothing is stored."""
    db, user = get_session(), current_user()
    advisory = _managed(ref)
    try:
        severity = choice(dict(request.form), "severity", Severity, advisory.severity)
        issuing.update(db, advisory, user, title=forms.text("title") or None,
                       body=request.form.get("body"), severity=severity,
                       objects=_form_objects())
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _show_page(advisory, user, update=request.form), exc.status
    recipients = len(advisory.recipients)
    return _changed(advisory, f"{advisory.ref} updated to version {advisory.version}; "
                              f"{recipients} teams are asked to acknowledge it.")


@bp.post("/<ref>/close")
@login_required
def close(ref: str) -> WerkzeugResponse:
    """Close the advisory: no more reminders or escalations; recipients are told."""
    db, user = get_session(), current_user()
    advisory = _managed(ref)
    try:
        issuing.close(db, advisory, user)
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return redirect(url_for("web.advisories.show", ref=advisory.ref), code=303)
    return _changed(advisory, f"{advisory.ref} closed.")
