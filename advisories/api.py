"""The advisories JSON API under ``/api/v1/advisories``: issue, follow, answer, report.

Coordinators (and admins) of the issuing team issue, update and close advisories and read the
matrix; recipients read their advisories and acknowledge or report status (people or service
accounts, for automation). Every change is audited by the services.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import Principal, authenticate, require_role, require_scope
from accord.db import get_session
from accord.errors import BadRequest, Forbidden, NotFound
from accord.models.users import Role, Scope, User
from accord.tlp import Tlp
from advisories import deadlines, issuing, matrix, responses
from advisories.issuing import AdvisorySpec
from advisories.models import Advisory, AdvisoryRecipient, Evidence, Severity

bp = Blueprint("advisories", __name__, url_prefix="/api/v1/advisories")
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@bp.before_request
def _authenticate() -> None:
    principal = authenticate(get_session())
    require_scope(principal, Scope.READ if request.method == "GET" else Scope.WRITE)


def _caller() -> User:
    principal: Principal = g.principal
    return principal.user


def _body() -> dict[str, Any]:
    try:
        data = request.get_json(silent=True) if request.get_data() else {}
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str, limit: int, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{key}: {'required, ' if required else ''}a string")
    if len(value) > limit:
        raise BadRequest(f"{key}: at most {limit} characters")
    return value.strip() if key == "title" else value


def _choice(data: dict[str, Any], key: str, kind: Any, default: Any) -> Any:
    raw = data.get(key, default.value if default is not None else None)
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise BadRequest(f"{key}: {raw!r} is not one of {choices}") from None


def duration(data: dict[str, Any], key: str, default: timedelta) -> timedelta:
    """An ISO 8601 duration such as ``PT1H`` or ``P1D``; positive, at most 30 days."""
    raw = data.get(key)
    if raw is None:
        return default
    found = DURATION.match(raw) if isinstance(raw, str) else None
    if found is None or not any(found.groups()):
        raise BadRequest(f"{key}: an ISO 8601 duration such as PT1H or P1D")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes)
    if not timedelta(0) < value <= timedelta(days=30):
        raise BadRequest(f"{key}: must be more than zero and at most 30 days")
    return value


def _names(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"recipients.{key}: a list of names")
    return tuple(value)


def read_spec(data: dict[str, Any]) -> AdvisorySpec:
    """The advisory asked for, with a 400 naming the first bad field."""
    who = data.get("recipients")
    if not isinstance(who, dict):
        raise BadRequest("recipients: an object with teams, groups and/or all")
    objects = data.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise BadRequest("objects: a list of STIX objects")
    try:
        tlp = Tlp.parse(str(data.get("tlp", "")))
    except ValueError:
        raise BadRequest("tlp: one of clear, green, amber, amber+strict, red") from None
    ack = duration(data, "acknowledge_within", timedelta(hours=1))
    return AdvisorySpec(
        title=_text(data, "title", 300, required=True),
        severity=_choice(data, "severity", Severity, None), tlp=tlp,
        body=_text(data, "body", 100_000), teams=_names(who, "teams"),
        groups=_names(who, "groups"), all_constituents=who.get("all") is True,
        ack_within=ack, status_within=duration(data, "status_within", timedelta(hours=24)),
        evidence=_choice(data, "evidence", Evidence, Evidence.NONE), objects=objects)


def _load(session: Session, ref: str) -> Advisory:
    """The advisory if the caller's team issued it or receives it; 404 alike otherwise."""
    advisory = session.scalar(select(Advisory).where(Advisory.ref == ref[:32]))
    user = _caller()
    if advisory is None or not (advisory.issuer_team_id == user.team_id or any(
            r.team_id == user.team_id for r in advisory.recipients)):
        raise NotFound(f"no advisory {ref[:32]!r}")
    return advisory


def _require_issuer(advisory: Advisory) -> None:
    user = _caller()
    if advisory.issuer_team_id != user.team_id:
        raise Forbidden("only the issuing team manages this advisory")
    require_role(g.principal, Role.COORDINATOR)


def _row_view(row: AdvisoryRecipient) -> dict[str, Any]:
    return {"team": row.team_name, "delivered_at": row.delivered_at,
            "acknowledged_at": row.acknowledged_at,
            "acknowledged_version": row.acknowledged_version,
            "status": row.status.value if row.status else None, "status_at": row.status_at}


def view(advisory: Advisory, user: User) -> dict[str, Any]:
    mine = next((r for r in advisory.recipients if r.team_id == user.team_id), None)
    body: dict[str, Any] = {
        "ref": advisory.ref, "title": advisory.title, "severity": advisory.severity.value,
        "tlp": advisory.tlp, "body": advisory.body, "state": advisory.state.value,
        "version": advisory.version, "issuer": advisory.issuer_team.name,
        "issued_at": advisory.issued_at, "updated_at": advisory.updated_at,
        "closed_at": advisory.closed_at, "collection": str(advisory.collection_id),
        "report_id": advisory.report_id,
        "acknowledge_within_seconds": advisory.ack_within_seconds,
        "status_within_seconds": advisory.status_within_seconds,
        "evidence": advisory.evidence.value}
    if mine is not None:
        body["mine"] = _row_view(mine)
    if advisory.issuer_team_id == user.team_id:
        body["recipients"] = len(advisory.recipients)
    return body


def _commit_and_sync(advisory: Advisory) -> None:
    get_session().commit()
    deadlines.sync_jobs(current_app, advisory)


@bp.post("")
def issue() -> ResponseReturnValue:
    """Issue an advisory (coordinators and admins of the notification centre)."""
    require_role(g.principal, Role.COORDINATOR)
    advisory = issuing.issue(get_session(), _caller(), read_spec(_body()))
    _commit_and_sync(advisory)
    return jsonify(view(advisory, _caller())), 201


@bp.get("")
def list_advisories() -> ResponseReturnValue:
    """Advisories the caller's team issued or received, newest first."""
    user = _caller()
    received = select(AdvisoryRecipient.advisory_id).where(
        AdvisoryRecipient.team_id == user.team_id)
    found = get_session().scalars(select(Advisory).where(
        (Advisory.issuer_team_id == user.team_id) | Advisory.id.in_(received))
        .order_by(Advisory.issued_at.desc()))
    return jsonify(advisories=[view(a, user) for a in found])


@bp.get("/<ref>")
def show(ref: str) -> ResponseReturnValue:
    return jsonify(view(_load(get_session(), ref), _caller()))


@bp.post("/<ref>/acknowledge")
def acknowledge(ref: str) -> ResponseReturnValue:
    session = get_session()
    row = responses.acknowledge(session, _load(session, ref), _caller())
    session.commit()
    return jsonify(_row_view(row))


@bp.post("/<ref>/status")
def status(ref: str) -> ResponseReturnValue:
    session = get_session()
    data = _body()
    row = responses.report_status(session, _load(session, ref), _caller(),
                                  _text(data, "status", 40, required=True),
                                  _text(data, "note", 2000))
    session.commit()
    return jsonify(_row_view(row))


@bp.post("/<ref>/update")
def update(ref: str) -> ResponseReturnValue:
    session = get_session()
    advisory = _load(session, ref)
    _require_issuer(advisory)
    data = _body()
    objects = data.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise BadRequest("objects: a list of STIX objects")
    severity = _choice(data, "severity", Severity, advisory.severity)
    issuing.update(session, advisory, _caller(), title=_text(data, "title", 300) or None,
                   body=data.get("body") if isinstance(data.get("body"), str) else None,
                   severity=severity, objects=objects)
    _commit_and_sync(advisory)
    return jsonify(view(advisory, _caller()))


@bp.post("/<ref>/close")
def close(ref: str) -> ResponseReturnValue:
    session = get_session()
    advisory = _load(session, ref)
    _require_issuer(advisory)
    issuing.close(session, advisory, _caller())
    _commit_and_sync(advisory)
    return jsonify(view(advisory, _caller()))


@bp.get("/<ref>/matrix")
def matrix_view(ref: str) -> ResponseReturnValue:
    """Constituents × steps for the issuing team; ``?group=`` keeps one trust group;
    ``?format=csv`` for a spreadsheet."""
    session = get_session()
    advisory = _load(session, ref)
    _require_issuer(advisory)
    found = matrix.rows(session, advisory, request.args.get("group") or None)
    session.commit()  # evidence times found while building the matrix are kept
    if request.args.get("format") == "csv":
        return Response(matrix.to_csv(found), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{advisory.ref}-matrix.csv"'})
    return jsonify(advisory=view(advisory, _caller()), matrix=found,
                   summary=matrix.summary(found))
