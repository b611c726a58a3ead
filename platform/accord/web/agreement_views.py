"""Web pages for sharing agreements: the list, one agreement, the create form (admins) and the
oversight report with downloads (issue 17).

Partners see the agreements their team is a party to; admins see all and manage them; the
oversight report is for admins and the providing team. Changes go through
:mod:`accord.services.agreements` (validated and audited) with CSRF like every form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from accord import audit
from accord.db import get_session
from accord.errors import AccordError, NotFound
from accord.features import DashboardPanel
from accord.iep import Action
from accord.models.agreements import Agreement
from accord.models.users import Role, User
from accord.oversight import render
from accord.oversight.detail import describe
from accord.oversight.report import build_report, count_by
from accord.services import agreements, teams
from accord.tlp import Tlp
from accord.web import forms
from accord.web.sessions import login_required, role_required

bp = Blueprint("agreements", __name__, url_prefix="/agreements")
POLICY_FIELDS = ("permitted_actions", "attribution", "tlp", "encrypt_in_transit",
                 "unmodified_resale", "affected_party_notifications")


def _is_admin(user: User) -> bool:
    return user.role == Role.ADMIN


def _visible(ref: str) -> Agreement:
    """The agreement if the signed-in user's team is a party (or the user is an admin); the
    same 404 as an unknown one otherwise, so its existence does not leak."""
    user: User = g.user
    agreement = agreements.get_agreement(get_session(), ref)
    if not _is_admin(user) and not agreements.is_party(agreement, user.team_id):
        raise NotFound(f"unknown agreement {ref[:120]!r}")
    return agreement


def may_report(user: User, agreement: Agreement) -> bool:
    """Oversight reports are for hub admins and the providing team (not its partners)."""
    return _is_admin(user) or (user.team_id == agreement.owner_team_id
                               and user.role != Role.SERVICE)


@bp.get("/")
@login_required
def index() -> str:
    user: User = g.user
    session = get_session()
    found = agreements.list_agreements(session, None if _is_admin(user) else user.team_id)
    return render_template("agreements/list.html", agreements=found,
                           statuses={a.id: agreements.status(a) for a in found},
                           is_admin=_is_admin(user), teams=teams.list_teams(session),
                           actions=[a.value for a in Action], levels=list(Tlp))


@bp.post("/")
@role_required(Role.ADMIN)
def create() -> WerkzeugResponse:
    session = get_session()
    policy = {name: forms.text(name) for name in POLICY_FIELDS if forms.text(name)}
    try:
        agreement = agreements.create_agreement(
            session, forms.text("title"), forms.text("owner_team"), forms.text("purpose"),
            request.form.getlist("partners"), legal_basis=forms.text("legal_basis"),
            default_policy=policy, retention_days=forms.text("retention_days") or None,
            starts_at=forms.text("starts_at") or None, ends_at=forms.text("ends_at") or None)
    except AccordError as exc:
        session.rollback()
        forms.flash_error(exc)
        return redirect(url_for("web.agreements.index"), code=303)
    session.commit()
    flash(f"Agreement {agreement.title} created.", "success")
    return redirect(url_for("web.agreements.detail", ref=agreement.id), code=303)


@bp.get("/<ref>")
@login_required
def detail(ref: str) -> str:
    user: User = g.user
    agreement = _visible(ref)
    session = get_session()
    audit.record(session, "web.read.agreement", target_type="agreement",
                 target_id=agreement.id)
    session.commit()
    return render_template("agreements/detail.html", agreement=agreement,
                           a=describe(session, agreement), is_admin=_is_admin(user),
                           may_report=may_report(user, agreement))


@bp.post("/<ref>/end")
@role_required(Role.ADMIN)
def end(ref: str) -> WerkzeugResponse:
    session = get_session()
    try:
        agreement = agreements.end_agreement(session, ref)
    except AccordError as exc:
        session.rollback()
        forms.flash_error(exc)
        return redirect(url_for("web.agreements.index"), code=303)
    session.commit()
    flash(f"Agreement {agreement.title} ended: its grants no longer work.", "success")
    return redirect(url_for("web.agreements.detail", ref=agreement.id), code=303)


@bp.get("/<ref>/report")
@login_required
def report(ref: str) -> ResponseReturnValue:
    """The report for ``from``/``to`` (dates, inclusive); ``format`` downloads it."""
    user: User = g.user
    agreement = _visible(ref)
    if not may_report(user, agreement):
        raise NotFound(f"unknown agreement {ref[:120]!r}")
    first = forms.date_field(request.args, "from")
    last = forms.date_field(request.args, "to")
    start, end_ = forms.day_range(first, last)
    session = get_session()
    data = build_report(session, agreement, start, end_)
    fmt = request.args.get("format", "").strip()
    audit.record(session, "agreement.report", target_type="agreement", target_id=agreement.id,
                 details={"format": fmt or "page", "from": data.start.isoformat(),
                          "to": data.end.isoformat()})
    session.commit()
    if fmt:
        name = render.parse_format(fmt)
        return Response(render.render(data, name), mimetype=render.FORMATS[name][0],
                        headers={"Content-Disposition":
                                 f'attachment; filename="{render.filename(data, name)}"'})
    period = {key: request.args[key] for key in ("from", "to") if request.args.get(key)}
    return render_template("agreements/report_page.html", report=data, day=render.day,
                           count_by=count_by, kind_words=render.KIND_WORDS,
                           agreement_id=agreement.id, period_args=period,
                           period_to=last.isoformat() if last else "")


def dashboard_agreements(session: Session, user: User) -> dict[str, Any] | None:
    """The dashboard panel: agreements the user's team is a party to (all, for admins); hidden
    for a team under none."""
    found = agreements.list_agreements(session, None if _is_admin(user) else user.team_id)
    if not found and not _is_admin(user):
        return None
    return {"agreements": [(a, agreements.status(a)) for a in found[:PANEL_SIZE]],
            "more": max(0, len(found) - PANEL_SIZE)}


PANEL_SIZE = 5
PANEL = DashboardPanel(template="agreements/_dashboard.html", context=dashboard_agreements)
