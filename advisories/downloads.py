"""The matrix CSV and the leadership report as HTTP responses, shared by the JSON API and the
pages so both serve the same bytes under the same names."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy.orm import Session

from accord.errors import BadRequest
from advisories import matrix, report
from advisories.models import Advisory


def matrix_csv(advisory: Advisory, view: matrix.MatrixView) -> Response:
    """The matrix as a spreadsheet attachment named after the advisory."""
    return Response(matrix.to_csv(view.rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{advisory.ref}-matrix.csv"'})


def report_response(session: Session, advisory: Advisory, fmt: str,
                    group: str | None) -> Response:
    """The leadership report in ``fmt`` (markdown, html or json); 400 for another format.
    The caller commits (evidence times found while building it are kept)."""
    if fmt not in report.FORMATS:
        raise BadRequest(f"format: one of {', '.join(report.FORMATS)}")
    data = report.build(session, advisory, group)
    if fmt == "json":
        return jsonify(data)
    text = report.to_markdown(data) if fmt == "markdown" else report.to_html(data)
    return Response(text, mimetype=report.MIMETYPES[fmt])
