"""Evaluation routes: expectations, manual verdicts, overrides, observations, ratings,
the improvement plan and the after-action report."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue

from accord import audit
from accord.errors import BadRequest
from exercises import access, reports
from exercises.api.common import body, bp, caller, exercise, session, text_field
from exercises.judging import aftercare, evaluation
from exercises.reports import data as report_data


@bp.get("/<ref>/expectations")
def expectations(ref: str) -> ResponseReturnValue:
    run = exercise(ref)
    access.require_view(run, caller().user)
    return jsonify(expectations=[evaluation.view(run, r)
                                 for r in evaluation.results(session(), run)])


@bp.post("/<ref>/expectations/<path:result_ref>/judge")
def judge(ref: str, result_ref: str) -> ResponseReturnValue:
    """An evaluator's verdict on a manual expectation: met, partially_met, not_met, ..."""
    run = exercise(ref)
    access.require_judge(run, caller().user)
    data = body()
    result = evaluation.find_result(session(), run, result_ref)
    evaluation.judge(session(), run, result, text_field(data, "verdict", required=True),
                     text_field(data, "note"), caller().user)
    session().commit()
    return jsonify(evaluation.view(run, result))


@bp.post("/<ref>/expectations/<path:result_ref>/override")
def override(ref: str, result_ref: str) -> ResponseReturnValue:
    """Replace an automatic verdict; ``reason`` is required."""
    run = exercise(ref)
    access.require_judge(run, caller().user)
    data = body()
    result = evaluation.find_result(session(), run, result_ref)
    evaluation.override(session(), run, result, text_field(data, "verdict", required=True),
                        text_field(data, "reason", required=True), caller().user)
    session().commit()
    return jsonify(evaluation.view(run, result))


@bp.post("/<ref>/notes")
def add_note(ref: str) -> ResponseReturnValue:
    """An observation, strength, area for improvement, or (EXCON too) a lesson learned."""
    run = exercise(ref)
    access.require_judge(run, caller().user)
    data = body()
    note = aftercare.add_note(session(), run, text_field(data, "kind") or "observation",
                              text_field(data, "text", required=True),
                              text_field(data, "team") or None,
                              text_field(data, "objective") or None, caller().user)
    session().commit()
    return jsonify(id=str(note.id), kind=note.kind, text=note.text), 201


@bp.post("/<ref>/ratings")
def rate(ref: str) -> ResponseReturnValue:
    run = exercise(ref)
    access.require_judge(run, caller().user)
    data = body()
    rating = aftercare.rate(session(), run, text_field(data, "objective", required=True),
                            text_field(data, "team", required=True),
                            text_field(data, "rating", required=True), text_field(data, "note"),
                            caller().user)
    session().commit()
    return jsonify(objective=rating.objective, rating=rating.rating, note=rating.note), 201


@bp.get("/<ref>/improvements")
def improvements(ref: str) -> ResponseReturnValue:
    run = exercise(ref)
    access.require_view(run, caller().user)
    return jsonify(improvements=[aftercare.improvement_view(i)
                                 for i in aftercare.improvements(session(), run)])


@bp.post("/<ref>/improvements")
def add_improvement(ref: str) -> ResponseReturnValue:
    """Coordinators maintain the improvement plan, during and after the exercise."""
    run = exercise(ref)
    access.require_control(run, caller().user)
    data = body()
    item = aftercare.add_improvement(
        session(), run, text_field(data, "action", required=True),
        text_field(data, "owner_team", required=True), text_field(data, "due_date", required=True),
        text_field(data, "objective") or None, caller().user,
        capability=text_field(data, "capability"), observation=text_field(data, "observation"),
        recommendation=text_field(data, "recommendation"),
        start_date=text_field(data, "start_date") or None)
    session().commit()
    return jsonify(aftercare.improvement_view(item)), 201


@bp.patch("/<ref>/improvements/<item_ref>")
def update_improvement(ref: str, item_ref: str) -> ResponseReturnValue:
    run = exercise(ref)
    access.require_control(run, caller().user)
    item = aftercare.update_improvement(session(), run, item_ref, body(), caller().user)
    session().commit()
    return jsonify(aftercare.improvement_view(item))


@bp.get("/<ref>/report")
def report(ref: str) -> ResponseReturnValue:
    """The after-action report: ``?format=json`` (default), ``markdown`` or ``html``."""
    run = exercise(ref)
    access.require_view(run, caller().user)
    fmt = request.args.get("format", "json")
    if fmt not in reports.FORMATS:
        raise BadRequest(f"format: must be one of {', '.join(reports.FORMATS)}")
    built = report_data.build(session(), run)
    audit.record(session(), "exercise.report.read", actor=caller().user, target_type="exercise",
                 target_id=run.id, details={"format": fmt})
    session().commit()
    if fmt == "json":
        return jsonify(built)
    return Response(reports.render(built, fmt), content_type=reports.MEDIA_TYPES[fmt])
