"""Discovery, API root, status, collections and collection endpoints (sections 4.1-5.2)."""

from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from accord import audit, authz
from accord.db import get_session
from accord.models.stix import TaxiiStatus
from accord.sharing.timestamps import format_timestamp
from accord.taxii.access import (
    CollectionAccess,
    api_roots,
    caller,
    collection_access,
    not_found,
    parse_id,
)
from accord.taxii.media import STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE
from accord.taxii.responses import taxii_json
from accord.taxii.urls import absolute_url

bp = Blueprint("taxii_resources", __name__)


@bp.get("/taxii2/")
def discovery() -> ResponseReturnValue:
    """Server discovery (section 4.1): title, contact and the API roots, as absolute URLs
    because clients build every later URL from ``default`` by concatenation."""
    session = get_session()
    caller(session, current_app.config["TAXII_DEFAULT_API_ROOT"])
    config = current_app.config
    roots = [absolute_url(".api_root", api_root=root) for root in api_roots()]
    body = {"title": config["TAXII_TITLE"], "description": config["TAXII_DESCRIPTION"],
            "default": absolute_url(".api_root", api_root=config["TAXII_DEFAULT_API_ROOT"]),
            "api_roots": roots}
    if config["TAXII_CONTACT"]:
        body["contact"] = config["TAXII_CONTACT"]
    return taxii_json(body)


@bp.get("/taxii2/<api_root>/")
def api_root(api_root: str) -> ResponseReturnValue:
    """API root information (section 4.2), with ``max_content_length``."""
    caller(get_session(), api_root)
    config = current_app.config
    return taxii_json({"title": f"{config['TAXII_TITLE']} ({api_root})",
                       "description": config["TAXII_DESCRIPTION"],
                       "versions": [TAXII_MEDIA_TYPE],
                       "max_content_length": config["TAXII_MAX_CONTENT_LENGTH"]})


@bp.get("/taxii2/<api_root>/status/<status_id>/")
def status(api_root: str, status_id: str) -> ResponseReturnValue:
    """A status resource (section 4.3); only the team that posted may see it."""
    session = get_session()
    principal = caller(session, api_root)
    row = session.scalar(select(TaxiiStatus).where(
        TaxiiStatus.id == parse_id("status", status_id), TaxiiStatus.api_root == api_root,
        TaxiiStatus.team_id == principal.user.team_id))
    if row is None:
        raise not_found("status", status_id)
    audit.record(session, "taxii.read.status", actor=principal.user, target_type="taxii_status",
                 target_id=row.id, details={"api_root": api_root})
    session.commit()
    return taxii_json(status_resource(row))


def status_resource(row: TaxiiStatus) -> dict[str, object]:
    """The JSON of a status (counts always add up, as clients check)."""
    body: dict[str, object] = {
        "id": str(row.id), "status": row.status,
        "request_timestamp": format_timestamp(row.request_timestamp),
        "total_count": row.total_count, "success_count": row.success_count,
        "failure_count": row.failure_count, "pending_count": row.pending_count,
    }
    for name in ("successes", "failures", "pendings"):
        details = getattr(row, name)
        if details:
            body[name] = details
    return body


def collection_resource(access: CollectionAccess) -> dict[str, object]:
    """A collection (section 5.2.1) with ``can_read``/``can_write`` true to this caller."""
    collection = access.collection
    body: dict[str, object] = {
        "id": str(collection.id), "title": collection.title,
        "can_read": access.can_read, "can_write": access.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }
    if collection.description:
        body["description"] = collection.description
    if collection.alias:
        body["alias"] = collection.alias
    return body


@bp.get("/taxii2/<api_root>/collections/")
def collections(api_root: str) -> ResponseReturnValue:
    """Collections the caller's team may read or write, in a stable order (section 5.1)."""
    session = get_session()
    principal = caller(session, api_root)
    rows = authz.visible_collections(session, principal.user.team_id, api_root)
    found = [collection_resource(CollectionAccess(principal, collection, grant))
             for collection, grant in rows]
    audit.record(session, "taxii.read.collections", actor=principal.user,
                 details={"api_root": api_root, "collections": len(found)})
    session.commit()
    return taxii_json({"collections": found} if found else {})


@bp.get("/taxii2/<api_root>/collections/<collection_id>/")
def collection(api_root: str, collection_id: str) -> ResponseReturnValue:
    """One collection (section 5.2)."""
    session = get_session()
    access = collection_access(session, api_root, collection_id)
    audit.record(session, "taxii.read.collection", actor=access.principal.user,
                 target_type="collection", target_id=access.collection.id)
    session.commit()
    return taxii_json(collection_resource(access))


