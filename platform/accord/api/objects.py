"""Shared objects in the JSON API: search a collection, and one object's versions in detail.

The same read policy as TAXII and the web pages (``accord.sharing.query`` under
``accord.sharing.visibility``): a version expired for recipients is in no result, a source
hidden by an IEP 2.0 policy shows as the hub, and the object detail states each version's
policy in plain words (docs/sharing-rules.md "IEP 2.0 policies"). A collection the caller's
team may not read is a 404, as in TAXII 2.1 s5.2; every read is audited (rule 6).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from accord import audit, authz
from accord.api.blueprint import principal
from accord.auth import require_scope
from accord.db import get_session, utcnow
from accord.errors import BadRequest, NotFound
from accord.models.collections import Collection, CollectionGrant
from accord.models.stix import StixObject
from accord.models.users import Scope
from accord.sharing import policy_text, recipient_view
from accord.sharing.query import ObjectFilter, VersionFilter, read_page
from accord.sharing.timestamps import format_timestamp
from accord.sharing.visibility import expired
from accord.web import object_search

bp = Blueprint("objects", __name__, url_prefix="/collections")
MAX_VERSIONS = 100
MAX_LIMIT = 200


def _readable(session: Session, collection_id: str) -> tuple[Collection, CollectionGrant]:
    """The collection and the caller's grant, if it may read it (404 otherwise, 403 for a
    token without the read scope)."""
    missing = NotFound(f"There is no collection {collection_id[:80]!r}, or your team may not "
                       "read it.")
    try:
        key = uuid.UUID(collection_id)
    except ValueError:
        raise missing from None
    collection = session.get(Collection, key)
    grant = authz.grant_for(session, principal().user.team_id, key) if collection else None
    if collection is None or grant is None or not authz.can_read(grant):
        raise missing
    require_scope(principal(), Scope.READ)
    return collection, grant


def _limit() -> int:
    raw = request.args.get("limit", "").strip()
    if not raw:
        return object_search.PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit: {raw[:20]!r} is not a number from 1 to {MAX_LIMIT}")
    return int(raw)


def _audit(session: Session, action: str, collection: Collection, rows: list[Any],
           details: dict[str, Any]) -> None:
    audit.record(session, action, actor=principal().user, target_type="collection",
                 target_id=collection.id, details={
                     "objects": len(rows), "tlp": sorted({row.tlp.value for row in rows}),
                     **details})
    session.commit()


def _expiry(row: Any, now: datetime) -> dict[str, Any]:
    """Expiry fields; ``expired_for_recipients`` only matters to (and is only true for) the
    source team, since nobody else is served an expired version."""
    return {"expires_at": format_timestamp(row.expires_at) if row.expires_at else None,
            "expired_for_recipients": expired(row.expires_at, now)}


@bp.get("/<collection_id>/objects")
def search(collection_id: str) -> ResponseReturnValue:
    """Latest versions matching ``q``, ``type``, ``tlp``, ``team``, ``from``, ``to`` (the
    web search form's fields), newest first, ``limit`` per page (1-200); when ``more``,
    pass ``next`` back as ``before`` for the following page."""
    session = get_session()
    collection, grant = _readable(session, collection_id)
    access = authz.read_access(principal().user, grant)
    query = object_search.parse_search(request.args)
    before = object_search.cursor(request.args, "before")
    now = utcnow()
    page = object_search.search_page(session, collection.id, access, query,
                                     current_app.config["HUB_NAME"], before=before,
                                     limit=_limit())
    _audit(session, "api.read.objects", collection, page.rows,
           {"search": query.args(), "total": page.total})
    return jsonify(total=page.total, more=page.older,
                   next=format_timestamp(page.last_added) if page.older and page.last_added
                   else None,
                   objects=[{"id": row.stix_id, "type": row.stix_type, "tlp": row.tlp.value,
                             "version": format_timestamp(row.version),
                             "date_added": format_timestamp(row.date_added),
                             "source_team": row.team_name, **summary, **_expiry(row, now)}
                            for row, summary in zip(page.rows, page.summaries, strict=True)])


@bp.get("/<collection_id>/objects/<stix_id>")
def detail(collection_id: str, stix_id: str) -> ResponseReturnValue:
    """Every version of one id the caller may see, newest first: provenance (the hub when the
    policy hides the source), the IEP policy in plain words, expiry, and the document."""
    session = get_session()
    collection, grant = _readable(session, collection_id)
    user = principal().user
    access = authz.read_access(user, grant)
    hub_name = current_app.config["HUB_NAME"]
    now = utcnow()
    columns = [StixObject.version, StixObject.stix_type, StixObject.tlp, StixObject.document,
               StixObject.revoked, StixObject.iep_policy, StixObject.expires_at,
               StixObject.source_team_id,
               recipient_view.source_team_name(user.team_id, hub_name),
               recipient_view.source_user_name(user.team_id)]
    page = read_page(session, columns, collection.id, access,
                     ObjectFilter(ids=(stix_id[:300],), versions=VersionFilter(all=True)),
                     MAX_VERSIONS, now=now)
    if not page.rows:
        raise NotFound(f"There is no object {stix_id[:120]!r} in this collection, or your "
                       "team may not see it.")
    _audit(session, "api.read.object", collection, page.rows, {"id": stix_id[:300]})
    versions = []
    for row in sorted(page.rows, key=lambda item: item.version, reverse=True):
        hidden = recipient_view.hidden_from(user.team_id, row.source_team_id, row.iep_policy)
        policy = policy_text.describe(row.iep_policy, row.expires_at, now)
        versions.append({
            "version": format_timestamp(row.version), "date_added":
            format_timestamp(row.date_added), "tlp": row.tlp.value, "revoked": row.revoked,
            "source_team": row.team_name, "shared_by": row.user_name,
            "source_withheld": hidden, "policy": policy.to_json() if policy else None,
            **_expiry(row, now),
            "object": json.loads(recipient_view.served_document(
                row.document, row.iep_policy, hidden, hub_name))})
    return jsonify(id=stix_id[:300], type=page.rows[0].stix_type, more=page.more,
                   versions=versions)
