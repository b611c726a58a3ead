"""Creating collections and granting teams access to them."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.authz import stored_grant
from accord.db import utcnow
from accord.errors import BadRequest, Conflict, NotFound
from accord.models.agreements import Agreement
from accord.models.collections import Collection, CollectionGrant, CollectionKind
from accord.services import agreements, lookup
from accord.services.fields import fits
from accord.tlp import Tlp, accepts

ALIAS = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def check_alias(alias: str) -> None:
    """400 unless ``alias`` can stand for a collection in TAXII URLs (section 5.2): lowercase
    letters, digits and dashes, and never something that reads as a collection id."""
    if not ALIAS.fullmatch(alias):
        raise BadRequest(f"alias: {alias[:120]!r} must be lowercase letters, digits and dashes")
    try:
        uuid.UUID(alias)
    except ValueError:
        return
    raise BadRequest(f"alias: {alias!r} reads as a collection id; choose a name that does not")


def parse_kind(text: str) -> CollectionKind:
    try:
        return CollectionKind(text.strip().lower())
    except ValueError:
        raise BadRequest(f"kind: {text!r} is not one of sharing, exercise, mirror") from None


def parse_tlp(text: str | Tlp, field: str = "tlp") -> Tlp:
    if isinstance(text, Tlp):
        return text
    try:
        return Tlp.parse(text)
    except ValueError as exc:
        raise BadRequest(f"{field}: {exc}") from None


def create_collection(
    session: Session,
    title: str,
    owner_team: str,
    description: str = "",
    kind: str | CollectionKind = CollectionKind.SHARING,
    default_tlp: str | Tlp = Tlp.AMBER,
    allows_red: bool = False,
    alias: str | None = None,
    api_root: str = "api",
    agreement: str | None = None,
) -> Collection:
    """Create a collection; its owner team gets a full read/write grant automatically.

    Made under ``agreement`` (id or title), the owner must be a party to it and the agreement
    must not have ended; objects shared here then take its default policy and retention."""
    title = title.strip()
    if not title:
        raise BadRequest("title: a collection needs a title")
    fits(title, Collection.title, "title")
    fits(description, Collection.description, "description")
    if alias is not None:
        check_alias(alias)
    if alias and session.scalar(select(Collection.id).where(Collection.alias == alias)):
        raise Conflict(f"a collection with alias {alias!r} already exists")
    team = lookup.team(session, owner_team)
    collection_kind = kind if isinstance(kind, CollectionKind) else parse_kind(kind)
    tlp = parse_tlp(default_tlp, "default_tlp")
    if not accepts(tlp, allows_red):
        raise BadRequest("default_tlp: RED default needs a collection that allows RED")
    under = _agreement_for(session, agreement, team.id, team.name) if agreement else None
    collection = Collection(
        title=title,
        description=description,
        alias=alias,
        owner_team=team,
        owner_team_id=team.id,
        kind=collection_kind,
        default_tlp=tlp,
        allows_red=allows_red,
        api_root=api_root,
        agreement_id=under.id if under else None,
    )
    session.add(collection)
    session.flush()
    session.add(
        CollectionGrant(
            collection_id=collection.id,
            team_id=team.id,
            can_read=True,
            can_write=True,
            max_tlp=Tlp.RED if allows_red else Tlp.AMBER_STRICT,
        )
    )
    audit.record(session, "collection.create", target_type="collection", target_id=collection.id,
                 details={"title": title, "owner": team.name, "kind": collection_kind.value,
                          **({"agreement": under.title} if under else {})})
    session.flush()
    return collection


def grant(
    session: Session,
    collection_ref: str,
    team_name: str,
    can_read: bool = True,
    can_write: bool = False,
    max_tlp: str | Tlp = Tlp.AMBER,
    agreement: str | None = None,
) -> CollectionGrant:
    """Create or change a team's grant on a collection.

    A grant on a collection made under an agreement is under that agreement (naming another
    one is a 400); a grant under an agreement needs a party to it and an agreement that has not
    ended, and stops working when it ends (:func:`accord.authz.grant_in_force`)."""
    collection = lookup.collection(session, collection_ref)
    team = lookup.team(session, team_name)
    under = _grant_agreement(session, collection, agreement, team.id, team.name)
    level = parse_tlp(max_tlp, "max_tlp")
    if not accepts(level, collection.allows_red):
        raise BadRequest(f"max_tlp: collection {collection.title!r} does not accept RED")
    if not can_read and not can_write:
        raise BadRequest("a grant must allow reading, writing or both")
    existing = stored_grant(session, team.id, collection.id)
    if existing is None:
        existing = CollectionGrant(collection_id=collection.id, team_id=team.id)
        session.add(existing)
    existing.can_read, existing.can_write, existing.max_tlp = can_read, can_write, level
    existing.agreement_id = under.id if under else None
    session.flush()
    audit.record(session, "collection.grant", target_type="collection", target_id=collection.id,
                 details={"team": team.name, "can_read": can_read, "can_write": can_write,
                          "max_tlp": level.value, **({"agreement": under.title} if under else {})})
    return existing


def _agreement_for(session: Session, ref: str, team_id: uuid.UUID, team_name: str
                   ) -> Agreement:
    """The agreement ``ref`` if ``team_id`` is a party and it has not ended; 400/409 if not."""
    found = agreements.get_agreement(session, ref)
    if not agreements.is_party(found, team_id):
        raise BadRequest(f"agreement: team {team_name!r} is not a party to {found.title!r}")
    if found.ends_at is not None and found.ends_at <= utcnow():
        raise Conflict(f"agreement: {found.title!r} ended on {found.ends_at:%Y-%m-%d %H:%M} UTC")
    return found


def _grant_agreement(session: Session, collection: Collection, ref: str | None,
                     team_id: uuid.UUID, team_name: str) -> Agreement | None:
    """The agreement a new grant is made under: the named one, else the collection's."""
    if ref is None and collection.agreement_id is None:
        return None
    if ref is None:
        ref = str(collection.agreement_id)
    found = _agreement_for(session, ref, team_id, team_name)
    if collection.agreement_id is not None and found.id != collection.agreement_id:
        raise BadRequest(f"agreement: collection {collection.title!r} is made under another "
                         "agreement")
    return found


def revoke(session: Session, collection_ref: str, team_name: str) -> None:
    collection = lookup.collection(session, collection_ref)
    team = lookup.team(session, team_name)
    existing = stored_grant(session, team.id, collection.id)
    if existing is None:
        raise NotFound(f"team {team.name!r} has no grant on {collection.title!r}")
    session.delete(existing)
    audit.record(session, "collection.revoke", target_type="collection", target_id=collection.id,
                 details={"team": team.name})


def list_collections(session: Session) -> list[Collection]:
    return list(session.scalars(select(Collection).order_by(Collection.title)))
