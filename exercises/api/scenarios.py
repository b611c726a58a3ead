"""Scenario routes: validate, import (YAML, JSON or CSV), list, show and export."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue

from accord.auth import require_role
from accord.errors import BadRequest
from accord.models.users import Role
from exercises.api.common import bp, caller, session
from exercises.scenarios import export, library, scenario_format
from exercises.scenarios.checking import ScenarioInvalid

AUTHORS = (Role.COORDINATOR,)
READERS = (Role.COORDINATOR, Role.EVALUATOR, Role.OBSERVER)


def _source() -> tuple[str, str]:
    """The uploaded scenario text and its format (``?format=`` or the Content-Type)."""
    fmt = request.args.get("format") or scenario_format.detect_format("", request.mimetype or "")
    if fmt not in ("yaml", "json", "csv"):
        raise BadRequest("format: must be yaml, json or csv")
    try:
        text = request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the scenario must be UTF-8 text") from None
    if not text.strip():
        raise BadRequest("send the scenario file as the request body")
    return text, fmt


def _invalid(exc: ScenarioInvalid, status: int = 422) -> ResponseReturnValue:
    return jsonify(valid=False, error="Invalid scenario", message=exc.description,
                   errors=exc.details["errors"], status=status), status


@bp.post("/scenarios/validate")
def validate_scenario() -> ResponseReturnValue:
    """Check a scenario without storing it; 200 with ``valid`` and every problem's path."""
    require_role(caller(), *AUTHORS)
    text, fmt = _source()
    try:
        document = library.load_document(text, fmt, title=request.args.get("title", "MSEL"))
    except ScenarioInvalid as exc:
        return jsonify(valid=False, errors=exc.details["errors"])
    return jsonify(valid=True, errors=[], title=document["title"], version=document["version"],
                   injects=len(document["injects"]))


@bp.post("/scenarios")
def import_scenario() -> ResponseReturnValue:
    """Validate and store a scenario; ``?replace=true`` overwrites the same title and version."""
    require_role(caller(), *AUTHORS)
    text, fmt = _source()
    try:
        document = library.load_document(text, fmt, title=request.args.get("title", "MSEL"))
    except ScenarioInvalid as exc:
        return _invalid(exc)
    record = library.save(session(), document, fmt, caller().user,
                          replace=request.args.get("replace") == "true")
    session().commit()
    return jsonify(library.summary(record)), 201


@bp.get("/scenarios")
def list_scenarios() -> ResponseReturnValue:
    require_role(caller(), *READERS)
    return jsonify(scenarios=[library.summary(s) for s in library.list_scenarios(session())])


@bp.get("/scenarios/<ref>")
def show_scenario(ref: str) -> ResponseReturnValue:
    require_role(caller(), *READERS)
    record = library.find(session(), ref)
    return jsonify(**library.summary(record), document=record.document)


@bp.get("/scenarios/<ref>/export")
def export_scenario(ref: str) -> ResponseReturnValue:
    """The scenario as YAML (default) or JSON, ready to edit and import again."""
    require_role(caller(), *READERS)
    record = library.find(session(), ref)
    fmt = request.args.get("format", "yaml")
    if fmt not in ("yaml", "json"):
        raise BadRequest("format: must be yaml or json")
    text = export.to_yaml(record.document) if fmt == "yaml" else export.to_json(record.document)
    media = "application/yaml" if fmt == "yaml" else "application/json"
    return Response(text, mimetype=media)
