"""The TAXII 2.1 server under ``/taxii2/`` (OASIS TAXII 2.1, sections 4 and 5).

Every response, errors included, is ``application/taxii+json;version=2.1``; errors are TAXII
error resources (rendered by :mod:`accord.errorpages` for every path under ``/taxii2/``).
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from accord import audit
from accord.taxii import objects, resources
from accord.taxii.media import TAXII_MEDIA_TYPE, check_accept

bp = Blueprint("taxii", __name__)
bp.register_blueprint(resources.bp)
bp.register_blueprint(objects.bp)


@bp.before_request
def _negotiate() -> None:
    """406 for an ``Accept`` that admits no TAXII 2.1 JSON (section 3.1). (A NUL in the path or
    query is refused for every path by :mod:`accord.requestguard`.)"""
    check_accept(request)


REFUSALS_AUDITED = frozenset({400, 403, 404, 413, 415, 422})


@bp.after_request
def _audit_refusal(response: Response) -> Response:
    """A refused read or write of a collection leaves a trace too (rule 6): who probed what."""
    args = request.view_args or {}
    kind, target = (("collection", args["collection_id"]) if "collection_id" in args
                    else ("taxii_status", args.get("status_id")))
    user = g.get("user")
    if response.status_code in REFUSALS_AUDITED and user is not None and target:
        audit.record_now("taxii.refused", outcome="failure", actor=user,
                         target_type=kind, target_id=str(target)[:100],
                         details={"method": request.method, "path": request.path[:300],
                                  "status": response.status_code})
    return response


@bp.after_request
def _options_in_taxii(response: Response) -> Response:
    """``OPTIONS`` (RFC 9110 section 9.3.7) keeps Flask's ``Allow`` list, computed over every
    route of the path, but answers in the TAXII media type like every other response here."""
    if request.method == "OPTIONS" and response.status_code == 200:
        response.set_data(b"{}")
        response.content_type = TAXII_MEDIA_TYPE
    return response
