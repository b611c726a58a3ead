"""JSON API for sharing agreements under ``/api/v1/agreements`` (issue 17).

Reading: admins see every agreement, other callers those their team is a party to (others are
a 404, so their existence does not leak). Creating, changing and ending agreements, and making
collections and grants under one, need an admin with the ``admin`` scope. The oversight report
is for admins and the providing team, as JSON, Markdown, HTML or CSV.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from accord import audit, authz, jsonbody
from accord.api.blueprint import principal
from accord.auth import Principal, authenticate, require_admin
from accord.cli.access import collection_json, grant_json
from accord.db import get_session
from accord.errors import BadRequest, NotFound
from accord.models.agreements import Agreement
from accord.models.users import Role
from accord.oversight import render
from accord.oversight.detail import describe, summary
from accord.oversight.report import build_report
from accord.services import agreements, collections

bp = Blueprint("agreements_api", __name__, url_prefix="/api/v1/agreements")
CREATE_FIELDS = {"title", "owner_team", "purpose", "partners", "legal_basis", "default_policy",
                 "retention_days", "starts_at", "ends_at"}


@bp.before_request
def _authenticate() -> None:
    authenticate(get_session())


def _body(allowed: set[str]) -> dict[str, Any]:
    data = jsonbody.request_object()
    unknown = set(data) - allowed
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    return data


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise BadRequest(f"{name}: must be true or false")
    return value


def _text(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{name}: must be text")
    return value


def _is_admin(caller: Principal) -> bool:
    return authz.is_admin(caller.user)


def _visible(ref: str) -> Agreement:
    caller = principal()
    agreement = agreements.get_agreement(get_session(), ref)
    if not _is_admin(caller) and not agreements.is_party(agreement, caller.user.team_id):
        raise NotFound(f"unknown agreement {ref[:120]!r}")
    return agreement


def _shown(agreement: Agreement) -> dict[str, Any]:
    """The agreement, and which of its collections the caller's team can use right now."""
    caller = principal()
    session = get_session()
    usable = [{"collection": c.title, "can_read": g.can_read, "can_write": g.can_write}
              for c, g in authz.visible_collections(session, caller.user.team_id)
              if c.agreement_id == agreement.id]
    return {**describe(session, agreement), "your_access": usable}


@bp.get("")
def list_agreements() -> ResponseReturnValue:
    caller = principal()
    found = agreements.list_agreements(
        get_session(), None if _is_admin(caller) else caller.user.team_id)
    return jsonify(agreements=[summary(a) for a in found])


@bp.post("")
def create() -> ResponseReturnValue:
    require_admin(principal())
    data = _body(CREATE_FIELDS)
    partners = data.get("partners")
    if not isinstance(partners, list):
        raise BadRequest("partners: a list of team names")
    session = get_session()
    agreement = agreements.create_agreement(
        session, _text(data, "title"), _text(data, "owner_team"), _text(data, "purpose"),
        [str(p) for p in partners], legal_basis=_text(data, "legal_basis"),
        default_policy=data.get("default_policy"),
        retention_days=data.get("retention_days"), starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"))
    session.commit()
    return jsonify(describe(session, agreement)), 201


@bp.get("/<ref>")
def show(ref: str) -> ResponseReturnValue:
    agreement = _visible(ref)
    session = get_session()
    audit.record(session, "api.read.agreement", target_type="agreement",
                 target_id=agreement.id)
    session.commit()
    return jsonify(_shown(agreement))


@bp.patch("/<ref>")
def update(ref: str) -> ResponseReturnValue:
    require_admin(principal())
    session = get_session()
    agreement = agreements.update_agreement(session, ref, _body(set(agreements.EDITABLE)))
    session.commit()
    return jsonify(describe(session, agreement))


@bp.post("/<ref>/end")
def end(ref: str) -> ResponseReturnValue:
    require_admin(principal())
    data = _body({"at"})
    session = get_session()
    agreement = agreements.end_agreement(session, ref, data.get("at"))
    session.commit()
    return jsonify(describe(session, agreement))


@bp.post("/<ref>/collections")
def create_collection(ref: str) -> ResponseReturnValue:
    """A collection made under the agreement (owner: a party, default: the providing team)."""
    require_admin(principal())
    data = _body({"title", "owner", "description", "alias", "default_tlp"})
    session = get_session()
    agreement = agreements.get_agreement(session, ref)
    collection = collections.create_collection(
        session, _text(data, "title"), _text(data, "owner", agreement.owner_team.name),
        _text(data, "description"), default_tlp=_text(data, "default_tlp", "amber"),
        alias=_text(data, "alias") or None, agreement=str(agreement.id))
    session.commit()
    return jsonify(collection_json(collection)), 201


@bp.post("/<ref>/grants")
def create_grant(ref: str) -> ResponseReturnValue:
    """Let a partner read (and write) one of the agreement's collections while it is in force."""
    require_admin(principal())
    data = _body({"collection", "team", "can_read", "can_write", "max_tlp"})
    session = get_session()
    agreement = agreements.get_agreement(session, ref)
    grant = collections.grant(
        session, _text(data, "collection"), _text(data, "team"), _flag(data, "can_read", True),
        _flag(data, "can_write", False), _text(data, "max_tlp", "amber"),
        agreement=str(agreement.id))
    session.commit()
    return jsonify({**grant_json(grant), "agreement": agreement.title}), 201


@bp.get("/<ref>/report")
def report(ref: str) -> ResponseReturnValue:
    """The oversight report for ``from``/``to`` (dates or timestamps) as ``format``."""
    caller = principal()
    agreement = _visible(ref)
    if not (_is_admin(caller) or (caller.user.team_id == agreement.owner_team_id
                                  and caller.user.role != Role.SERVICE)):
        raise NotFound(f"unknown agreement {ref[:120]!r}")
    start = agreements.parse_moment(request.args["from"], "from") \
        if request.args.get("from") else None
    end_ = agreements.parse_moment(request.args["to"], "to") if request.args.get("to") else None
    fmt = render.parse_format(request.args.get("format", "json"))
    session = get_session()
    data = build_report(session, agreement, start, end_)
    audit.record(session, "agreement.report", target_type="agreement", target_id=agreement.id,
                 details={"format": fmt, "from": data.start.isoformat(),
                          "to": data.end.isoformat()})
    session.commit()
    if fmt == "json":
        return jsonify(render.as_json(data))
    return Response(render.render(data, fmt), mimetype=render.FORMATS[fmt][0])
