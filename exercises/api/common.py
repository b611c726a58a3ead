"""The exercises blueprint, its authentication hook and helpers shared by its routes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request
from sqlalchemy.orm import Session

from accord.auth import Principal, authenticate, require_scope
from accord.db import get_session
from accord.errors import BadRequest
from accord.models.users import Scope
from exercises import access
from exercises.models import Exercise
from exercises.runs import job_sync

bp = Blueprint("exercises", __name__, url_prefix="/api/v1/exercises")


@bp.before_request
def _authenticate() -> None:
    """Every call needs credentials; writes need a token with the ``write`` scope."""
    principal = authenticate(get_session())
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        require_scope(principal, Scope.WRITE)


def caller() -> Principal:
    current: Principal = g.principal
    return current


def session() -> Session:
    return get_session()


def body() -> dict[str, Any]:
    """The JSON object sent with the request (an empty body is an empty object)."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def text_field(data: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRequest(f"{key}: required")
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{key}: must be a string")
    return value


def exercise(ref: str) -> Exercise:
    return access.load(session(), ref)


def commit_and_sync(run: Exercise) -> None:
    """Commit the request's work, then bring the scheduler's jobs in line with it."""
    session().commit()
    job_sync.sync_jobs(current_app, run.id)
