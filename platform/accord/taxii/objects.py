"""Objects, object, versions and manifest endpoints (sections 5.3-5.8), reads and writes.

Service accounts (automation: connectors, a remote hub's pull) get each object in outbound form
(:func:`accord.sharing.outbound.outbound_page`): its effective TLP and origin stated, its IEP
policy carried (the marking-definition served ahead of it), a hidden source replaced by the
hub, so the next hop keeps them. People get the object exactly as it was stored, except that a
source hidden by its IEP 2.0 policy is replaced by the hub (docs/sharing-rules.md "IEP 2.0
policies"); expired versions are not served to recipients at all
(:mod:`accord.sharing.visibility`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session

from accord import audit, authz, jsonbody
from accord.db import get_session, utcnow
from accord.errors import BadRequest, NotFound, PayloadTooLarge
from accord.models.stix import StixObject, TaxiiStatus
from accord.sharing import envelope_queue
from accord.sharing.ingest import add_objects
from accord.sharing.outbound import outbound_page
from accord.sharing.query import (
    ObjectFilter,
    Page,
    RawPage,
    VersionFilter,
    conditions,
    read_page,
    read_raw_page,
)
from accord.sharing.recipient_view import hidden_from, served_document
from accord.sharing.timestamps import format_timestamp
from accord.taxii import cursor, params
from accord.taxii.access import CollectionAccess, collection_access
from accord.taxii.media import STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE, check_content_type
from accord.taxii.resources import status_resource
from accord.taxii.responses import envelope, taxii_json, with_date_headers
from accord.taxii.urls import absolute_url

bp = Blueprint("taxii_objects", __name__)

COLLECTION = "/taxii2/<api_root>/collections/<collection_id>"


def _position(access: CollectionAccess, resource: str) -> tuple[datetime | None, int]:
    """Where the request's page starts (its ``next`` token) and how long it may be."""
    token = params.single(request.args, "next")
    after = None if token is None else cursor.decode(current_app.config["SECRET_KEY"], token,
                                                     access.collection.id, resource)
    return after, params.limit(request.args, current_app.config["TAXII_PAGE_SIZE"])


def _next_token(access: CollectionAccess, resource: str, page: Page) -> str | None:
    """The ``next`` token that continues ``page``, if more follow."""
    last = page.last_added
    if not page.more or last is None:
        return None
    return cursor.encode(current_app.config["SECRET_KEY"], access.collection.id, resource, last)


def _page(session: Session, access: CollectionAccess, filters: ObjectFilter, resource: str,
          columns: list[Any]) -> tuple[Page, str | None]:
    """Read one page for ``resource`` and the ``next`` token that continues it."""
    after, limit = _position(access, resource)
    page = read_page(session, columns, access.collection.id, access.read_access(), filters,
                     limit, after)
    return page, _next_token(access, resource, page)


def _audit_read(session: Session, access: CollectionAccess, resource: str, page: Page,
                tlps: list[str] | None = None) -> None:
    levels = sorted(set(tlps or []))
    audit.insert(session, f"taxii.read.{resource}", actor=access.principal.user,
                 target_type="collection", target_id=access.collection.id,
                 details={"objects": len(page.rows), "tlp": levels, "more": page.more})
    session.commit()


# The columns of an objects page, in this order (rows are unpacked by position: a result
# row's attribute access costs ten times more, per row of every page; issue 15). People need
# the policy and source only where a policy may hide the source; the TLP is audited.
_FOR_PEOPLE = [StixObject.document, StixObject.tlp, StixObject.iep_policy,
               StixObject.source_team_id]
_FOR_AUTOMATION = [*_FOR_PEOPLE, StixObject.origin, StixObject.expires_at,
                   StixObject.outbound_text, StixObject.stix_type,
                   StixObject.stix_id]  # the outbound copy stored at ingest, if any


def _objects_response(access: CollectionAccess, filters: ObjectFilter, resource: str,
                      not_found: str | None = None) -> ResponseReturnValue:
    session = get_session()
    columns = _FOR_AUTOMATION if access.principal.user.is_service else _FOR_PEOPLE
    after, limit = _position(access, resource)
    # Rows of driver values: a page served verbatim converts only what it uses (issue 15).
    page = read_raw_page(session, columns, access.collection.id, access.read_access(),
                         filters, limit, after)
    if not_found and not page.rows and not filters.added_after and "next" not in request.args:
        raise NotFound(not_found)
    tlp = page.converters.converter("tlp")
    _audit_read(session, access, resource, page,  # tlp is column 1
                [tlp(level).value for level in {row[1] for row in page.rows}])
    response = envelope(_served(session, access, page, resource), page.more,
                        _next_token(access, resource, page))
    return with_date_headers(response, page.first_added, page.last_added)


def _served(session: Session, access: CollectionAccess, page: RawPage, resource: str
            ) -> Iterable[str]:
    """Each row's JSON text for this reader: outbound form for automation (a remote hub's
    pull: IEP policy carried, definitions ahead of the objects on get-objects pages, nothing
    needing encryption over plain http), and the hub named instead of a source the IEP policy
    hides from the reader's team (docs/sharing-rules.md "IEP 2.0 policies"); otherwise the
    stored text, verbatim."""
    team_id = access.principal.user.team_id
    hub_name = current_app.config["HUB_NAME"]
    if access.principal.user.is_service:
        return outbound_page(session, page.rows, hub_name, team_id,
                             access.collection.is_exercise, not request.is_secure,
                             definitions=resource == "objects", typed=page.converters.typed)
    return _for_people(page, team_id, hub_name)


def _for_people(page: RawPage, team_id: Any, hub_name: str) -> Iterator[str]:
    typed = page.converters.typed
    for row in page.rows:
        if row[2] is None:  # no IEP policy (NULL), nothing can hide the source: the stored
            yield row[0]    # text (column 0), verbatim
            continue
        document, _tlp, policy, source_team_id, *_rest = typed(row)
        if not policy:
            yield document
            continue
        yield served_document(document, policy, hidden_from(team_id, source_team_id, policy),
                              hub_name)


@bp.get(f"{COLLECTION}/objects/")
def get_objects(api_root: str, collection_id: str) -> ResponseReturnValue:
    """Get objects (section 5.4): visible objects in ``date_added`` order, paged."""
    access = collection_access(get_session(), api_root, collection_id)
    access.require_read()
    return _objects_response(access, params.object_filter(request.args), "objects")


@bp.get(f"{COLLECTION}/objects/<object_id>/")
def get_object(api_root: str, collection_id: str, object_id: str) -> ResponseReturnValue:
    """Get an object (section 5.6): its versions matching ``match[version]`` (default last)."""
    access = collection_access(get_session(), api_root, collection_id)
    access.require_read()
    filters = params.object_filter(request.args, fixed_id=object_id)
    return _objects_response(access, filters, "object",
                             not_found=f"No object {object_id[:120]!r} in this collection.")


@bp.get(f"{COLLECTION}/objects/<object_id>/versions/")
def get_versions(api_root: str, collection_id: str, object_id: str) -> ResponseReturnValue:
    """Object versions (section 5.8), oldest first, with ``more``/``next`` like objects."""
    session = get_session()
    access = collection_access(session, api_root, collection_id)
    access.require_read()
    filters = params.object_filter(request.args, fixed_id=object_id, allow_version=False)
    page, next_token = _page(session, access, filters, "versions",
                             [StixObject.version, StixObject.tlp])
    if not page.rows and not filters.added_after and "next" not in request.args:
        raise NotFound(f"No object {object_id[:120]!r} in this collection.")
    _audit_read(session, access, "versions", page, [row.tlp.value for row in page.rows])
    body: dict[str, Any] = {}
    if page.rows:  # an empty list is not allowed in place of an omitted one (section 2)
        body = {"more": page.more, **({"next": next_token} if next_token else {}),
                "versions": [format_timestamp(row.version) for row in page.rows]}
    return with_date_headers(taxii_json(body), page.first_added, page.last_added)


@bp.get(f"{COLLECTION}/manifest/")
def get_manifest(api_root: str, collection_id: str) -> ResponseReturnValue:
    """Manifest (section 5.3): one record per visible version, paged with ``next`` too."""
    session = get_session()
    access = collection_access(session, api_root, collection_id)
    access.require_read()
    page, next_token = _page(session, access, params.object_filter(request.args), "manifest",
                             [StixObject.stix_id, StixObject.version, StixObject.tlp])
    _audit_read(session, access, "manifest", page, [row.tlp.value for row in page.rows])
    records = [{"id": row.stix_id, "date_added": format_timestamp(row.date_added),
                "version": format_timestamp(row.version), "media_type": STIX_MEDIA_TYPE}
               for row in page.rows]
    body: dict[str, Any] = {}
    if records:
        body = {"more": page.more, **({"next": next_token} if next_token else {}),
                "objects": records}
    return with_date_headers(taxii_json(body), page.first_added, page.last_added)


def _read_envelope() -> list[Any]:
    """The request body as a list of objects; 400/413/415 with the reason otherwise."""
    check_content_type(request)
    limit = current_app.config["TAXII_MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The body is {request.content_length} bytes; this API root "
                              f"accepts at most {limit} (max_content_length).")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"The body exceeds this API root's max_content_length ({limit}).")
    body = jsonbody.parse(raw, what="The body", strict=False)  # each object is judged alone
    if not isinstance(body, dict):
        raise BadRequest("The body must be a TAXII envelope: a JSON object with 'objects'.")
    objects = body.get("objects")
    if not isinstance(objects, list):
        raise BadRequest("objects: the envelope must have an 'objects' list.")
    return objects


@bp.post(f"{COLLECTION}/objects/")
def add(api_root: str, collection_id: str) -> ResponseReturnValue:
    """Add objects (section 5.5): each object judged alone; a complete status comes back."""
    session = get_session()
    access = collection_access(session, api_root, collection_id)
    access.require_write()
    objects = _read_envelope()
    requested = utcnow()
    threshold = int(current_app.config.get("TAXII_ASYNC_OBJECTS") or 0)
    if threshold and len(objects) > threshold:
        return _queue(session, access, api_root, objects)
    result = add_objects(session, access.collection, objects, access.author())
    status = TaxiiStatus(
        api_root=api_root, collection_id=access.collection.id,
        team_id=access.principal.user.team_id, user_id=access.principal.user.id,
        status="complete", request_timestamp=requested, total_count=result.total,
        success_count=len(result.successes), failure_count=len(result.failures),
        pending_count=0, successes=result.successes, failures=result.failures, pendings=[])
    session.add(status)
    session.flush()
    audit.record(session, "taxii.write", actor=access.principal.user, target_type="collection",
                 target_id=access.collection.id,
                 details={"status": str(status.id), "total": result.total,
                          "stored": result.stored, "duplicates": result.known,
                          "failures": len(result.failures), "tlp": result.tlp_counts})
    session.commit()
    return _accepted(api_root, status)


def _accepted(api_root: str, status: TaxiiStatus) -> Response:
    """``202`` with the status and where to poll it (section 4.3), absolute like every URL."""
    response = taxii_json(status_resource(status), status=202)
    response.headers["Location"] = absolute_url("taxii.taxii_resources.status",
                                                api_root=api_root, status_id=str(status.id))
    return response


def _queue(session: Session, access: CollectionAccess, api_root: str,
           objects: list[Any]) -> Response:
    """A big envelope: kept for a worker, answered at once with a pending status."""
    user = access.principal.user
    status = TaxiiStatus(api_root=api_root, collection_id=access.collection.id,
                         team_id=user.team_id, user_id=user.id, request_timestamp=utcnow())
    session.add(status)
    session.flush()
    envelope_queue.enqueue(session, status, objects, access.author())
    audit.record(session, "taxii.write", actor=user, target_type="collection",
                 target_id=access.collection.id,
                 details={"status": str(status.id), "total": len(objects), "queued": True})
    session.commit()
    return _accepted(api_root, status)


@bp.delete(f"{COLLECTION}/objects/<object_id>/")
def delete_object(api_root: str, collection_id: str, object_id: str) -> ResponseReturnValue:
    """Delete an object (section 5.7), or the versions ``match[version]`` names.

    Permission table of section 5.7: no read and no write is 404; one of them is 403. Only the
    team that shared an object (or a hub admin) may delete it.
    """
    session = get_session()
    access = collection_access(session, api_root, collection_id)
    authz.require_delete(access.principal.user, access.grant, ())
    access.require_write()
    filters = params.object_filter(request.args, fixed_id=object_id)
    if "match[version]" not in request.args:
        filters = ObjectFilter(ids=filters.ids, spec_versions=filters.spec_versions,
                               versions=VersionFilter(all=True))
    where = and_(*conditions(access.collection.id, access.read_access(), filters))
    rows = list(session.execute(select(StixObject.pk, StixObject.source_team_id).where(where)))
    if not rows:
        raise NotFound(f"No object {object_id[:120]!r} in this collection.")
    user = access.principal.user
    authz.require_delete(user, access.grant, (team for _, team in rows))
    session.execute(delete(StixObject).where(StixObject.pk.in_([pk for pk, _ in rows])))
    _restore_latest(session, access, object_id)
    audit.record(session, "taxii.delete", actor=user, target_type="stix_object",
                 target_id=object_id, details={"collection": str(access.collection.id),
                                               "versions": len(rows)})
    session.commit()
    return Response("", status=200, content_type=TAXII_MEDIA_TYPE)


def _restore_latest(session: Session, access: CollectionAccess, object_id: str) -> None:
    """After a delete, the newest remaining version of the id is the latest again."""
    newest = session.scalar(select(func.max(StixObject.version)).where(
        StixObject.collection_id == access.collection.id, StixObject.stix_id == object_id))
    if newest is not None:
        session.execute(update(StixObject).where(
            StixObject.collection_id == access.collection.id, StixObject.stix_id == object_id,
            StixObject.version == newest).values(is_latest=True))
