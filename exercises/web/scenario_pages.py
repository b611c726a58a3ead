"""The scenario library: list and upload (YAML, JSON or CSV MSEL), problems shown in place.

Validation and storage are ``exercises.scenarios.library``'s; this page only reads the upload
and shows each problem with its path or line, as the JSON API reports them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session
from accord.errors import AccordError, BadRequest
from accord.models.users import Role
from accord.web import forms
from accord.web.sessions import current_user, role_required
from exercises.scenarios import library, scenario_format
from exercises.scenarios.checking import ScenarioInvalid

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
authors = role_required(Role.COORDINATOR)
readers = role_required(Role.COORDINATOR, Role.EVALUATOR, Role.OBSERVER)


def _page(problems: list[dict[str, Any]] | None = None, status: int = 200) -> tuple[str, int]:
    records = [library.summary(record) for record in library.list_scenarios(get_session())]
    can_upload = current_user().role in (Role.ADMIN, Role.COORDINATOR)
    return render_template("exercises/scenarios.html", scenarios=records, problems=problems,
                           can_upload=can_upload), status


def _upload() -> tuple[str, str]:
    """The uploaded file's text and format; a bad upload is a 400 naming the field."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("file: choose a scenario file (.yaml, .json or .csv)")
    fmt = scenario_format.detect_format(upload.filename, upload.mimetype or "")
    if fmt not in ("yaml", "json", "csv"):
        raise BadRequest(f"file: {upload.filename!r} is not .yaml, .json or .csv")
    try:
        return upload.read().decode("utf-8"), fmt
    except UnicodeDecodeError:
        raise BadRequest("file: the scenario must be UTF-8 text") from None


@bp.get("/")
@readers
def index() -> tuple[str, int]:
    return _page()


@bp.post("/")
@authors
def upload() -> tuple[str, int] | WerkzeugResponse:
    """Validate and store an uploaded scenario; list every problem if it is invalid."""
    db = get_session()
    try:
        text, fmt = _upload()
        document = library.load_document(text, fmt, title=forms.text("title") or "Imported MSEL")
        record = library.save(db, document, fmt, current_user(), replace=forms.checked("replace"))
    except ScenarioInvalid as exc:
        db.rollback()
        return _page(problems=exc.details["errors"], status=422)
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _page(status=exc.status)
    db.commit()
    flash(f"Scenario {record.title} version {record.version} imported.", "success")
    return redirect(url_for("web.scenarios.index"), code=303)
