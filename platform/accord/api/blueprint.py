"""The API blueprint, its authentication hook and the identity endpoint."""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from accord.auth import Principal, authenticate
from accord.db import get_session

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate() -> None:
    """Every API call needs credentials (Basic password/token or Bearer token)."""
    authenticate(get_session())


def principal() -> Principal:
    """The authenticated caller of the current API request."""
    current: Principal = g.principal
    return current


@bp.get("/me")
def me() -> ResponseReturnValue:
    """Who the credentials belong to: user, team, role and token scopes."""
    p = principal()
    return jsonify(
        username=p.user.username,
        team={"id": str(p.team.id), "name": p.team.name, "identity_id": p.team.identity_id},
        role=p.user.role.value,
        auth="token" if p.token else "password",
        scopes=sorted(p.scopes),
    )
