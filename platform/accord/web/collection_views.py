"""Collections a team may see, browsing and searching their objects, and one object's versions.

Reads use the TAXII read path's pieces (``accord.sharing.query`` with
``accord.authz.read_access``), so the TLP policy is exactly TAXII's: what a team may not see is
in no page, count, filter choice or search result, including versions expired for recipients
and sources hidden by an IEP 2.0 policy (docs/sharing-rules.md "IEP 2.0 policies").
A collection without a grant is a 404, as in TAXII 2.1 s5.2 (its existence does not leak).
Every read is audited (rule 6).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, render_template, request
from sqlalchemy.orm import Session

from accord import audit, authz
from accord.db import get_session, utcnow
from accord.errors import Forbidden, NotFound
from accord.models.collections import Collection, CollectionGrant
from accord.models.stix import StixObject
from accord.models.users import User
from accord.sharing import policy_text, recipient_view
from accord.sharing.policy_text import PolicyView
from accord.sharing.query import ObjectFilter, VersionFilter, count_visible, read_page
from accord.sharing.timestamps import format_timestamp
from accord.sharing.visibility import expired
from accord.web import object_search
from accord.web.sessions import current_user, login_required

bp = Blueprint("collections", __name__, url_prefix="/collections")
MAX_VERSIONS = 100


def reach(session: Session, user: User, collection_id: str
          ) -> tuple[Collection, CollectionGrant]:
    """The collection and the team's grant on it; 404 if the team may neither read nor write."""
    missing = NotFound("There is no such collection, or your team has no access to it.")
    try:
        key = uuid.UUID(collection_id)
    except ValueError:
        raise missing from None
    collection = session.get(Collection, key)
    grant = authz.grant_for(session, user.team_id, key) if collection else None
    if collection is None or grant is None or not (grant.can_read or grant.can_write):
        raise missing
    return collection, grant


def readable(session: Session, user: User, collection_id: str
             ) -> tuple[Collection, CollectionGrant]:
    """Like :func:`reach`, and 403 for a write-only grant."""
    collection, grant = reach(session, user, collection_id)
    if not authz.can_read(grant):
        raise Forbidden("Your team may write to this collection but not read it.")
    return collection, grant


def _audit_read(session: Session, user: User, action: str, collection: Collection,
                rows: list[Any], details: dict[str, Any]) -> None:
    """One audit event per page read, with the TLP levels shown, like TAXII's reads."""
    levels = sorted({row.tlp.value for row in rows})
    audit.record(session, action, actor=user, target_type="collection",
                 target_id=collection.id,
                 details={"objects": len(rows), "tlp": levels, **details})
    session.commit()


@bp.get("/")
@login_required
def index() -> str:
    """The collections the team may see, with counts of the objects it may see in each."""
    user = current_user()
    db = get_session()
    entries = []
    for collection, grant in authz.visible_collections(db, user.team_id):
        count = (count_visible(db, collection.id, authz.read_access(user, grant), ObjectFilter())
                 if authz.can_read(grant) else None)
        entries.append((collection, grant, count, authz.can_write(user, grant)))
    audit.record(db, "web.read.collections", actor=user,
                 details={"collections": len(entries),
                          "objects": sum(entry[2] or 0 for entry in entries)})
    db.commit()
    return render_template("collections/list.html", entries=entries)


@bp.get("/<collection_id>/")
@login_required
def objects(collection_id: str) -> str:
    """Browse and search one collection (latest versions), 50 per page, newest first."""
    user = current_user()
    db = get_session()
    collection, grant = readable(db, user, collection_id)
    access = authz.read_access(user, grant)
    search = object_search.parse_search(request.args)
    before = object_search.cursor(request.args, "before")
    after = object_search.cursor(request.args, "after")
    page = object_search.search_page(db, collection.id, access, search,
                                     current_app.config["HUB_NAME"], before, after)
    types, teams = object_search.choices(db, collection.id, access)
    _audit_read(db, user, "web.read.objects", collection, page.rows,
                {"search": search.args(), "total": page.total})
    return render_template("collections/objects.html", collection=collection, grant=grant,
                           search=search, page=page, types=types, teams=teams,
                           can_write=authz.can_write(user, grant), stamp=format_timestamp,
                           searched=bool(search.args()), now=utcnow(), expired=expired)


@bp.get("/<collection_id>/objects/<stix_id>")
@login_required
def show(collection_id: str, stix_id: str) -> str:
    """Every version of one STIX id the team may see, newest first, with provenance and its
    IEP 2.0 policy in plain words. A source the policy hides from the reader's team shows as
    the hub, in the fields and in the JSON (docs/sharing-rules.md "IEP 2.0 policies")."""
    user = current_user()
    db = get_session()
    collection, grant = readable(db, user, collection_id)
    hub_name = current_app.config["HUB_NAME"]
    now = utcnow()
    filters = ObjectFilter(ids=(stix_id[:300],), versions=VersionFilter(all=True))
    columns = [StixObject.version, StixObject.stix_type, StixObject.tlp, StixObject.document,
               StixObject.is_latest, StixObject.revoked, StixObject.iep_policy,
               StixObject.expires_at, StixObject.source_team_id,
               recipient_view.source_team_name(user.team_id, hub_name),
               recipient_view.source_user_name(user.team_id)]
    page = read_page(db, columns, collection.id, authz.read_access(user, grant), filters,
                     MAX_VERSIONS, now=now)
    if not page.rows:
        raise NotFound("There is no such object in this collection, or your team may not "
                       "see it.")
    versions = sorted(page.rows, key=lambda row: row.version, reverse=True)
    _audit_read(db, user, "web.read.object", collection, page.rows, {"id": stix_id[:300]})
    shown = [_version_view(row, user.team_id, hub_name, now) for row in versions]
    latest = object_search.summary(shown[0].pretty)
    return render_template("collections/object.html", collection=collection, stix_id=stix_id,
                           versions=shown, latest=latest, more=page.more,
                           stamp=format_timestamp)


@dataclass(frozen=True)
class VersionView:
    """One version as the reader sees it: the row, its JSON, its policy, its source hidden."""

    row: Any
    pretty: str
    policy: PolicyView | None
    source_hidden: bool


def _version_view(row: Any, team_id: uuid.UUID, hub_name: str, now: datetime) -> VersionView:
    hidden = recipient_view.hidden_from(team_id, row.source_team_id, row.iep_policy)
    document = recipient_view.served_document(row.document, row.iep_policy, hidden, hub_name)
    pretty = json.dumps(json.loads(document), indent=2, ensure_ascii=False)
    return VersionView(row, pretty, policy_text.describe(row.iep_policy, row.expires_at, now),
                       hidden)
