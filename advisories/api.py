"""The advisories JSON API under ``/api/v1/advisories``: issue, follow, answer, report.

Coordinators (and admins) of the issuing team issue, update and close advisories and read the
matrix; recipients read their advisories and acknowledge or report status (people or service
accounts, for automation). Every change is audited by the services.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from accord.auth import Principal, authenticate, require_role, require_scope
from accord.db import get_session
from accord.errors import BadRequest, Forbidden
from accord.models.users import Role, Scope, User
from advisories import access, deadlines, downloads, issuing, matrix, responses
from advisories.models import Advisory, AdvisoryRecipient, Severity
from advisories.spec import choice as _choice
from advisories.spec import objects_of, read_spec
from advisories.spec import text as _text

bp = Blueprint("advisories", __name__, url_prefix="/api/v1/advisories")


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


def _load(session: Session, ref: str) -> Advisory:
    """The advisory if the caller's team issued it or receives it; 404 alike otherwise."""
    return access.load_visible(session, ref, _caller())


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
    found = access.visible(get_session(), user)
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
    objects = objects_of(data)
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
    found = matrix.build(session, advisory, request.args.get("group") or None)
    session.commit()  # evidence times found while building the matrix are kept
    if request.args.get("format") == "csv":
        return downloads.matrix_csv(advisory, found)
    return jsonify(advisory=view(advisory, _caller()), matrix=found.rows, summary=found.summary)


@bp.get("/<ref>/report")
def report_view(ref: str) -> ResponseReturnValue:
    """The leadership report: ``?format=markdown|html|json`` (JSON by default)."""
    session = get_session()
    advisory = _load(session, ref)
    _require_issuer(advisory)
    response = downloads.report_response(session, advisory, request.args.get("format", "json"),
                                         request.args.get("group") or None)
    session.commit()
    return response
