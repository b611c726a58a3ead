"""The TAXII 2.1 server under ``/taxii2/`` (OASIS TAXII 2.1, sections 4 and 5).

Every response, errors included, is ``application/taxii+json;version=2.1``; errors are TAXII
error resources (rendered by :mod:`accord.errorpages` for every path under ``/taxii2/``).
"""

from __future__ import annotations

from flask import Blueprint, request

from accord.taxii import objects, resources
from accord.taxii.media import check_accept

bp = Blueprint("taxii", __name__)
bp.register_blueprint(resources.bp)
bp.register_blueprint(objects.bp)


@bp.before_request
def _negotiate() -> None:
    """406 for an ``Accept`` that admits no TAXII 2.1 JSON (section 3.1)."""
    check_accept(request)
