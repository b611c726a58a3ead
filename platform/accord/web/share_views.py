"""The share page: paste or upload a STIX bundle/envelope, or fill in a one-value form.

Objects are stored through :func:`accord.sharing.ingest.add_objects`, the TAXII write path, so
the same rules apply (validation, provenance, revocation, RED and exercise checks), and the
page reports each object like a TAXII 2.1 status resource (s4.3.1): stored, duplicate or failed
with its reason (the verdicts and JSON reading of ``accord share``, :mod:`accord.sharing.share`).
Only collections the team may write are offered (``accord.authz.can_write``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, render_template, request
from sqlalchemy.orm import Session

from accord import audit, authz
from accord.db import get_session
from accord.errors import BadRequest, Conflict, Forbidden
from accord.jsonbody import text_problem
from accord.models.collections import Collection
from accord.models.users import User
from accord.sharing import share
from accord.sharing.exercise_separation import assert_not_exercise_collection
from accord.sharing.identifiers import is_stix_id
from accord.sharing.ingest import Author, add_objects
from accord.sharing.share import Outcome
from accord.tlp import Tlp
from accord.web import indicator_form
from accord.web.collection_views import reach
from accord.web.sessions import current_user, login_required

bp = Blueprint("share", __name__, url_prefix="/share")


def _writable(session: Session, user: User) -> list[Collection]:
    return [collection for collection, grant in authz.visible_collections(session, user.team_id)
            if authz.can_write(user, grant)]


def _target(session: Session, user: User) -> Collection:
    """The chosen collection: 404 without a grant, 403 without write access."""
    collection, grant = reach(session, user, request.form.get("collection", ""))
    if not authz.can_write(user, grant):
        raise Forbidden(f"Your team may not write to {collection.title!r}.")
    return collection


def _objects_from_json(text: str) -> list[Any]:
    """Objects from a STIX bundle, a TAXII envelope, a list or one object; 400 naming the field."""
    if not text.strip():
        raise BadRequest("bundle: paste a STIX bundle or choose a file")
    try:
        return share.objects_from_json(text)
    except BadRequest as exc:
        raise BadRequest(f"bundle: {exc.description}") from None


def _pasted_text() -> str:
    """The uploaded file if one was chosen, else the pasted text; size-limited like TAXII."""
    limit = int(current_app.config["TAXII_MAX_CONTENT_LENGTH"])
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = bytes(upload.read(limit + 1))
    else:
        raw = request.form.get("bundle", "").encode("utf-8")
    if len(raw) > limit:
        raise BadRequest(f"bundle: larger than this hub accepts ({limit} bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("bundle: the file must be UTF-8 JSON") from None


def _named(listed: list[Outcome], objects: list[Any]) -> list[Outcome]:
    """Label each verdict with the object's name, so the analyst recognises it."""
    names = {obj["id"]: str(obj.get("name") or obj.get("value") or "")[:200]
             for obj in objects if isinstance(obj, dict) and is_stix_id(obj.get("id"))}
    names = {key: name for key, name in names.items() if not text_problem(name, allow_nul=True)}
    return [replace(item, value=names.get(item.id) or None) for item in listed]


def _store(session: Session, user: User, collection: Collection, objects: list[Any],
           source: str) -> list[Outcome]:
    """Ingest, audit like ``taxii.write``, commit, and list the verdicts."""
    held = share._held_versions(session, collection.id, objects)
    result = add_objects(session, collection, objects,
                         Author(team_id=user.team_id, user_id=user.id))
    audit.record(session, "web.write", actor=user, target_type="collection",
                 target_id=collection.id,
                 details={"source": source, "total": result.total, "stored": result.stored,
                          "duplicates": result.known, "failures": len(result.failures),
                          "tlp": result.tlp_counts})
    session.commit()
    return _named(share.outcomes(result, held), objects)


def _page(session: Session, user: User, *, status: int = 200, error: str | None = None,
          results: list[Outcome] | None = None, collection: Collection | None = None,
          form: dict[str, str] | None = None) -> tuple[str, int]:
    chosen = str(collection.id) if collection else request.values.get("collection", "")
    return render_template("share.html", collections=_writable(session, user), chosen=chosen,
                           error=error, results=results, target=collection,
                           form=form or {}, kinds=indicator_form.KINDS.values(),
                           levels=list(Tlp)), status


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    """The share page, with the collection given by ``?collection=`` preselected."""
    return _page(get_session(), current_user())


def _submit(source: str) -> tuple[str, int]:
    """Run one share request; a bad request is shown in place with its reason (400)."""
    db = get_session()
    user = current_user()
    form = {key: request.form.get(key, "") for key in
            ("value", "type", "tlp", "name", "description", "valid_until", "bundle")}
    collection = None
    try:
        collection = _target(db, user)
        if source == "form":
            assert_not_exercise_collection(collection, "values without the exercise marking")
            wanted = indicator_form.parse_request(form)
            objects = [indicator_form.build_indicator(wanted, user.team.identity_id)]
        else:
            objects = _objects_from_json(_pasted_text())
        results = _store(db, user, collection, objects, source)
    except (BadRequest, Conflict) as exc:
        db.rollback()
        return _page(db, user, status=exc.status, error=exc.description, form=form,
                     collection=collection)
    keep = form if any(item.result == "failed" for item in results) else {}
    return _page(db, user, results=results, collection=collection, form=keep)


@bp.post("/indicator")
@login_required
def indicator() -> tuple[str, int]:
    """Share one value as a STIX 2.1 indicator."""
    return _submit("form")


@bp.post("/bundle")
@login_required
def bundle() -> tuple[str, int]:
    """Share a pasted or uploaded STIX bundle or TAXII envelope."""
    return _submit("bundle")
