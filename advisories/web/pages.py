"""Advisory pages: the team's inbox, an advisory with Acknowledge and status, the issue form,
and the coordinator's matrix (constituents × steps) with CSV and leadership report links.

Every change goes through ``advisories.responses`` / ``advisories.issuing`` exactly as the JSON
API does; the issue form is read by the API's own parser (``advisories.spec.read_spec``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session, utcnow
from accord.errors import AccordError, BadRequest, Forbidden
from accord.models.teams import Team, TrustGroup
from accord.models.users import Role, User
from accord.tlp import Tlp
from accord.web import forms
from accord.web.sessions import current_user, login_required, role_required
from advisories import access, deadlines, issuing, matrix, report, responses
from advisories.models import Advisory, AdvisoryRecipient, Evidence, RecipientStatus, Severity
from advisories.spec import read_spec
from advisories.timing import duration_text, lateness
from advisories.web.rendering import safe_markdown

bp = Blueprint("advisories", __name__, url_prefix="/advisories", template_folder="templates")
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


@bp.get("/<ref>")
@login_required
def show(ref: str) -> str:
    user = current_user()
    advisory = access.load_visible(get_session(), ref, user)
    return render_template("advisories/show.html", item=_item(advisory, user),
                           body=safe_markdown(advisory.body), zone=user.team.timezone,
                           statuses=STATUS_LABELS)


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


def form_request() -> dict[str, Any]:
    """The issue form as the JSON body the API takes, so one parser checks both."""
    data: dict[str, Any] = {
        key: forms.text(key) for key in ("title", "severity", "tlp", "evidence")}
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
    data = form_request()
    try:
        advisory = issuing.issue(db, current_user(), read_spec(data))
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return render_template("advisories/new.html", values=request.form,
                               **_issue_choices()), exc.status
    db.commit()
    deadlines.sync_jobs(current_app, advisory)
    flash(f"{advisory.ref} issued to {len(advisory.recipients)} teams.", "success")
    return redirect(url_for("web.advisories.matrix_page", ref=advisory.ref), code=303)


def _matrix_rows(advisory: Advisory, group: str | None) -> list[dict[str, Any]]:
    db = get_session()
    found = matrix.rows(db, advisory, group)
    db.commit()  # evidence times found while building the matrix are kept
    return found


@bp.get("/<ref>/matrix")
@login_required
def matrix_page(ref: str) -> str:
    """Constituents × steps, late ones flagged with by how much; ``?group=`` filters."""
    user = current_user()
    advisory = access.load_visible(get_session(), ref, user)
    _require_manager(advisory, user)
    group = request.args.get("group") or None
    found = _matrix_rows(advisory, group)
    groups = sorted({g.name for r in advisory.recipients for g in r.team.trust_groups})
    return render_template("advisories/matrix.html", advisory=advisory,
                           tlp=Tlp.parse(advisory.tlp), rows=found,
                           steps=list(found[0]["steps"]) if found else [],
                           summary=matrix.summary(found), groups=groups, group=group,
                           zone=user.team.timezone, lateness=lateness,
                           duration_text=duration_text, labels=STATUS_LABELS,
                           report_formats=report.FORMATS)


@bp.get("/<ref>/matrix.csv")
@login_required
def matrix_csv(ref: str) -> Response:
    user = current_user()
    advisory = access.load_visible(get_session(), ref, user)
    _require_manager(advisory, user)
    found = _matrix_rows(advisory, request.args.get("group") or None)
    return Response(matrix.to_csv(found), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{advisory.ref}-matrix.csv"'})


@bp.get("/<ref>/report")
@login_required
def report_page(ref: str) -> Response:
    """The leadership report, as the API serves it, for the signed-in coordinator."""
    user = current_user()
    db = get_session()
    advisory = access.load_visible(db, ref, user)
    _require_manager(advisory, user)
    fmt = request.args.get("format", "html")
    if fmt not in report.FORMATS:
        raise BadRequest(f"format: one of {', '.join(report.FORMATS)}")
    data = report.build(db, advisory, request.args.get("group") or None)
    db.commit()
    if fmt == "json":
        return jsonify(data)
    text = report.to_markdown(data) if fmt == "markdown" else report.to_html(data)
    return Response(text, mimetype=report.MIMETYPES[fmt])
