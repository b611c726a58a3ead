"""The audit log page: filter by action, user, team and date, newest first, paged."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, render_template, request
from sqlalchemy import Select, func, select

from accord.db import get_session
from accord.models.audit import AuditEvent
from accord.models.users import Role
from accord.web import audit_targets, forms
from accord.web.sessions import role_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50


def _filtered(query: Select[tuple[AuditEvent]]) -> Select[tuple[AuditEvent]]:
    args = request.args
    if action := args.get("action", "").strip():
        query = query.where(AuditEvent.action.startswith(action))
    if user := args.get("user", "").strip():
        query = query.where(AuditEvent.actor_name == user)
    if team := args.get("team", "").strip():
        query = query.where(AuditEvent.team_name == team)
    since, until = forms.day_range(forms.date_field(args, "since"), forms.date_field(args, "until"))
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return query


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> str:
    """One page of audit events matching the filters."""
    db = get_session()
    page = forms.page_number(request.args)
    base = _filtered(select(AuditEvent))
    total = int(db.scalar(select(func.count()).select_from(base.subquery())) or 0)
    events = list(db.scalars(base.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
                             .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("admin/audit.html", events=events, total=total, page=page,
                           pages=pages, args=args, targets=audit_targets.describe(
                               db, cast(list[AuditEvent], events)))
