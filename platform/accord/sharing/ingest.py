"""Storing STIX objects in a collection: the one write path (ARCHITECTURE rules 1, 3, 4, 5, 7).

Each object gets a verdict of its own: stored, already held (a duplicate, which counts as a
success), or rejected with a reason. Valid objects are kept even when others beside them are
bad. Nothing here commits: the caller's transaction stores the batch, its audit row and, for
feeds, the watermark together.

The rules of :doc:`docs/sharing-rules.md`, in the order they are applied:

- The effective TLP is computed once here and stored: the most restrictive of object-level and
  granular markings, TLP ids in any case, and marking-definitions that declare a TLP level (in
  the same batch or already on the hub); the collection default for an object with none.
- The origin is the object's ``created_by_ref`` identity, else the writing team's identity.
  Only the origin adds versions of an id, on any hub.
- A version (id and ``modified``) already held is a duplicate if its content is the same (in
  outbound form, :mod:`accord.sharing.outbound`) and a failure if it differs.
- Decisions that depend on what the hub holds look only at the versions the writer may read.
  A writer that cannot read any version of an id gets the answer it would get if the id did not
  exist: its version is stored, *contested*: visible to its own team only, never served to
  others, never synced, so it cannot pass for the origin's.
- Any id ever stored in an exercise collection is exercise data for good.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, String, Table, any_, bindparam, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from accord import authz
from accord.bulkinsert import insert_rows
from accord.db import utcnow
from accord.iep import IepPolicy
from accord.jsonfast import compact
from accord.models.collections import Collection, CollectionGrant, CollectionKind
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.sharing.attribution import hides_source
from accord.sharing.exercise_separation import is_exercise_data
from accord.sharing.identifiers import is_stix_id
from accord.sharing.outbound import fingerprint, stored_outbound
from accord.sharing.policies import BatchPolicies, batch_policies
from accord.sharing.timestamps import format_timestamp, object_version
from accord.sharing.validation import validation_error
from accord.tlp import (
    MARKING_ID_TO_TLP,
    BatchTlp,
    ReadAccess,
    Tlp,
    accepts,
    declared_levels,
    declared_tlp,
    marking_refs,
    may_read,
    most_restrictive,
)

TICK = timedelta(microseconds=1)
IDS_PER_QUERY = 5000  # bind parameters per query: PostgreSQL takes 65535, some SQLite 32766
NOT_SOURCE_TEAM = "only the source team of this id may add versions of it"
REVOKED = "the object is revoked: no later versions may be added"
NO_RED = "this collection does not accept TLP:RED objects"
EXERCISE_IN_LIVE = "exercise data (exercise marking, label or id) cannot enter a live collection"
SAME_VERSION = ("this version (id and modified) is already held with different content or TLP: "
                "a changed object needs a later modified")


Admit = Callable[[Mapping[str, Any], Tlp], str | None]


@dataclass(frozen=True)
class Author:
    """Who writes: the team the objects are attributed to, and the user or token behind it."""

    team_id: uuid.UUID
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


@dataclass
class IngestResult:
    """Per-object verdicts, in the shape of a TAXII status resource's details (section 4.3.1)."""

    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    stored: int = 0
    known: int = 0
    tlp_counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.successes) + len(self.failures)


@dataclass(frozen=True)
class _Version:
    """One stored version of an id, as the verdicts need it."""

    collection_id: uuid.UUID
    version: datetime
    tlp: Tlp
    source_team_id: Any
    origin: str | None
    contested: bool
    revoked: bool
    document: str
    in_batch: bool = False  # stored by this call, not yet in the database
    iep_policy: dict[str, Any] | None = None


@dataclass
class _Held:
    """What the hub holds of one STIX id: every version, and which the writer may read."""

    versions: list[_Version] = field(default_factory=list)
    readable: list[_Version] = field(default_factory=list)

    def here(self, collection_id: uuid.UUID) -> list[_Version]:
        return [held for held in self.versions if held.collection_id == collection_id]


@dataclass
class _Writer:
    """The writing team's identity and what it may read, collection by collection."""

    team_id: uuid.UUID
    identity: str
    grants: dict[uuid.UUID, Tlp]

    def may_read(self, held: _Version) -> bool:
        ceiling = self.grants.get(held.collection_id)
        if ceiling is None:
            return False
        if held.contested and held.source_team_id != self.team_id:
            return False
        return may_read(ReadAccess(team_id=self.team_id, max_tlp=ceiling), held.tlp,
                        held.source_team_id)


@lru_cache(maxsize=1)
def _readable_grants() -> Select[uuid.UUID, Tlp]:
    """The collections a team reads now and their TLP ceilings; built once per process (the
    agreement condition costs more to build than to run), values bound per envelope."""
    return select(CollectionGrant.collection_id, CollectionGrant.max_tlp).where(
        CollectionGrant.team_id == bindparam("writer_team"), CollectionGrant.can_read.is_(True),
        authz.grant_in_force(bindparam("grant_now")))


def _writer(session: Session, team_id: uuid.UUID) -> _Writer:
    identity = session.scalar(select(Team.identity_id).where(Team.id == team_id)) or ""
    grants = {collection_id: max_tlp for collection_id, max_tlp in session.execute(
        _readable_grants(), {"writer_team": team_id, "grant_now": utcnow()})}
    return _Writer(team_id, identity, grants)


def _one_of(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``= ANY`` of one array parameter, the same rows
    (psycopg rewrites a query of a thousand placeholders in Python on every call)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(
            bindparam(None, list(values), type_=postgresql.ARRAY(String))))
    return cast(ColumnElement[bool], column.in_(values))


def _held(session: Session, writer: _Writer, ids: Sequence[str]
          ) -> tuple[dict[str, _Held], set[str]]:
    """For each id already on the hub, every version held; and the ids among them ever stored
    in an exercise collection (:func:`accord.sharing.exercise_separation.exercise_ids`, read
    from the same rows). One query per ``IDS_PER_QUERY`` ids."""
    held: dict[str, _Held] = {}
    exercise: set[str] = set()
    for start in range(0, len(ids), IDS_PER_QUERY):
        for row in session.execute(
                select(StixObject.stix_id, StixObject.collection_id, StixObject.version,
                       StixObject.tlp, StixObject.source_team_id, StixObject.origin,
                       StixObject.contested, StixObject.revoked, StixObject.document,
                       StixObject.iep_policy, Collection.kind)
                .join(Collection, Collection.id == StixObject.collection_id)
                .where(_one_of(session, StixObject.stix_id, ids[start:start + IDS_PER_QUERY]))
                .order_by(StixObject.date_added)):
            version = _Version(row.collection_id, row.version, row.tlp, row.source_team_id,
                               row.origin, row.contested, row.revoked, row.document,
                               iep_policy=row.iep_policy)
            entry = held.setdefault(row.stix_id, _Held())
            entry.versions.append(version)
            if writer.may_read(version):
                entry.readable.append(version)
            if row.kind == CollectionKind.EXERCISE:
                exercise.add(row.stix_id)
    return held, exercise


def _declared_levels(session: Session, objects: Sequence[Any]) -> dict[str, Tlp]:
    """TLP levels declared by the marking-definitions the batch defines or refers to.

    A partner's own definition named ``TLP:RED`` (or with ``definition_type`` ``tlp``, or the
    TLP 2.0 extension) makes every object marked with it RED, whether the definition comes in
    the same batch or was stored on the hub before.
    """
    declared = {key: [level] for key, level in declared_levels(objects).items()}
    written = {ref.strip() for obj in objects if isinstance(obj, Mapping)
               for ref in marking_refs(obj)}
    known = set(MARKING_ID_TO_TLP) | set(declared)
    # As written and in lower case, so the stix_id index finds them.
    refs = sorted(ref for ref in written | {ref.lower() for ref in written}
                  if ref.lower() not in known and is_stix_id(ref.lower()))
    for start in range(0, len(refs), IDS_PER_QUERY):
        for stix_id, document in session.execute(
                select(StixObject.stix_id, StixObject.document).where(
                    StixObject.stix_id.in_(refs[start:start + IDS_PER_QUERY]),
                    StixObject.stix_type == "marking-definition")):
            level = declared_tlp(json.loads(document))
            if level is not None:
                declared.setdefault(stix_id.strip().lower(), []).append(level)
    return {key: level for key, levels in declared.items()
            if (level := most_restrictive(levels)) is not None}


@dataclass(frozen=True)
class _Marked:
    """What an object's markings decide: its effective TLP and IEP policy (stored form), or
    why the policy refuses it."""

    level: Tlp
    policy: IepPolicy | None
    stored_policy: dict[str, Any] | None
    reason: str | None


class _Markings:
    """The effective TLP and IEP policy of each object of one batch.

    For any object but a marking-definition both depend only on its marking refs (the batch's
    declared levels, policies and default being fixed), and a batch's objects mostly share a
    few lists of refs: each distinct list is decided once.
    """

    def __init__(self, default: Tlp, declared: Mapping[str, Tlp],
                 policies: BatchPolicies) -> None:
        self.levels = BatchTlp(default, declared)
        self.policies = policies
        self._decided: dict[tuple[str, ...], _Marked] = {}

    def of(self, obj: Mapping[str, Any]) -> tuple[Tlp, IepPolicy | None,
                                                  dict[str, Any] | None, str | None]:
        if obj.get("type") == "marking-definition":
            marked = self._decide(obj)  # its own id and definition count too
        else:
            refs = tuple(marking_refs(obj))
            marked = self._decided.get(refs) or self._decided.setdefault(refs,
                                                                         self._decide(obj))
        return marked.level, marked.policy, marked.stored_policy, marked.reason

    def _decide(self, obj: Mapping[str, Any]) -> _Marked:
        policy, reason = self.policies.policy_for(obj)
        return _Marked(self.levels(obj), policy,
                       policy.to_json() if policy is not None else None, reason)


def _origin(obj: Mapping[str, Any], writer: _Writer) -> str:
    """The identity the object names as its creator, else the writing team's."""
    creator = obj.get("created_by_ref")
    if isinstance(creator, str) and creator.startswith("identity--") and is_stix_id(creator):
        return creator
    return writer.identity


def _lock_clock(session: Session, collection: Collection) -> datetime:
    """Lock the collection row and return the first free ``date_added`` (rule 7).

    The row lock is held until the caller commits, so batches commit in ``date_added`` order
    and a reader paging by ``added_after`` never skips an object committed late.
    """
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(last_date_added=Collection.last_date_added))
    last = session.scalar(select(Collection.last_date_added)
                          .where(Collection.id == collection.id))
    now = utcnow()
    return now if last is None or now > last else last + TICK


@dataclass
class _Plan:
    """What to do with one valid object: store it (maybe contested), or report a verdict."""

    reason: str | None = None
    duplicate: bool = False
    contested: bool = False
    origin: str | None = None  # inherited by a copy of a held version


@dataclass(frozen=True)
class _Incoming:
    """An incoming object with what ingest decided about it, for comparing with held ones."""

    obj: Mapping[str, Any]
    level: Tlp
    origin: str
    policy: dict[str, Any] | None = None
    iep_markings: frozenset[str] = frozenset()


def _same(held: _Version, new: _Incoming) -> bool:
    """The held version and the incoming object are the same content in outbound form (IEP
    markings compared as the policy they state, a hidden creator left out)."""
    claimed = new.origin if "created_by_ref" in new.obj else held.origin
    hide = hides_source(held.iep_policy) or hides_source(new.policy)
    return fingerprint(json.loads(held.document), held.tlp, held.origin, new.iep_markings,
                       hide) == fingerprint(new.obj, new.level, claimed, new.iep_markings, hide)


def _plan(new: _Incoming, collection: Collection, writer: _Writer,
          entry: _Held | None, version: datetime | None) -> _Plan:
    """The existence-dependent verdict, decided on what the writer may read (see module doc)."""
    obj, origin = new.obj, new.origin
    if entry is None:
        return _Plan()
    same = [held for held in entry.readable if version is None or held.version == version]
    if same and not all(_same(held, new) for held in same):
        return _Plan(reason=SAME_VERSION)
    if not any(not held.contested for held in entry.readable):
        # Nothing of the origin's object is readable (at most the writer's own contested
        # copies): answer as if the id were new, and keep the version apart unless every
        # hidden version is the writer's own.
        if any(held.collection_id == collection.id and (version is None
                                                         or held.version == version)
               for held in entry.versions):
            return _Plan(duplicate=True)  # cannot be stored twice; nothing about it is told
        trusted = origin == writer.identity and all(held.origin == origin and not held.contested
                                                    for held in entry.versions)
        return _Plan(contested=not trusted)
    if same:
        if any(held.collection_id == collection.id for held in same):
            return _Plan(duplicate=True)
        # The same version copied into another collection keeps its origin.
        # (A creator the policy hides was replaced by a hub identity: the held origin stands.)
        named = "created_by_ref" in obj and not hides_source(new.policy)
        return _Plan(origin=origin if named else same[0].origin)
    origins = {held.origin for held in entry.readable if not held.contested}
    if origins != {origin}:
        return _Plan(reason=NOT_SOURCE_TEAM)
    revoked = [held.version for held in entry.readable if held.revoked]
    if revoked and version is not None and version > min(revoked):
        return _Plan(reason=REVOKED)
    return _Plan()


@dataclass(frozen=True)
class _Target:
    """What the per-object rules read of the collection, read once per batch."""

    allows_red: bool
    live: bool  # not an exercise collection
    exercise: set[str]  # the batch's ids ever stored in an exercise collection


def _rule_error(obj: Mapping[str, Any], target: _Target, level: Tlp) -> str | None:
    """Verdicts that do not depend on what the hub holds of this id."""
    if not accepts(level, target.allows_red):
        return NO_RED
    if target.live and is_exercise_data(obj, target.exercise):
        return EXERCISE_IN_LIVE
    return None


def add_objects(session: Session, collection: Collection, objects: Sequence[Any],
                author: Author, *, validate: bool = True, admit: Admit | None = None
                ) -> IngestResult:
    """Store the valid new versions among ``objects`` in ``collection`` as written by ``author``.

    ``validate=False`` is only for objects the hub itself just built and checked. ``admit`` is
    the caller's own rule on the effective TLP (feeds: what may be synced), applied after it is
    computed here; it returns a reason to refuse, or None.
    """
    result = IngestResult()
    clock = _lock_clock(session, collection)
    ids = sorted({obj["id"] for obj in objects
                  if isinstance(obj, Mapping) and is_stix_id(obj.get("id"))})
    writer = _writer(session, author.team_id)
    held, exercise_held = _held(session, writer, ids)
    declared = _declared_levels(session, objects)
    policies = batch_policies(session, collection, objects)
    iep_markings = frozenset(policies.by_marking)
    markings = _Markings(collection.default_tlp, declared, policies)
    live = collection.kind != CollectionKind.EXERCISE
    target = _Target(collection.allows_red, live, exercise_held if live else set())
    rows: list[dict[str, Any]] = []
    newest: dict[str, dict[str, Any]] = {}
    for obj in objects:
        stix_id = obj.get("id") if isinstance(obj, Mapping) else None
        shown_id = stix_id.encode("utf-8", "backslashreplace").decode() \
            if isinstance(stix_id, str) else ""  # a lone surrogate cannot be sent as UTF-8
        version = object_version(obj) if isinstance(obj, Mapping) else None
        entry = held.get(stix_id) if isinstance(stix_id, str) else None
        text = _text(obj) if entry is not None else None  # reused for the row below
        if entry is not None and _verbatim(entry, collection, text, version):
            result.known += 1  # the very text already stored here: skip re-validating it
            result.successes.append(_detail(shown_id, version))
            continue
        reason = validation_error(obj) if validate else None
        if reason is not None:
            result.failures.append(_detail(shown_id[:300], version, reason))
            continue
        assert isinstance(obj, Mapping) and isinstance(stix_id, str)
        level, policy, stored_policy, reason = markings.of(obj)
        origin = _origin(obj, writer)
        reason = reason or _rule_error(obj, target, level) or (
            admit(obj, level) if admit is not None else None)
        plan = _plan(_Incoming(obj, level, origin, stored_policy, iep_markings), collection,
                     writer, entry, version) if reason is None else _Plan(reason=reason)
        if plan.reason is not None:
            result.failures.append(_detail(stix_id, version, plan.reason))
            continue
        if plan.duplicate:
            result.known += 1  # a duplicate: never stored twice, counted as a success
            result.successes.append(_detail(stix_id, version or _newest_here(entry, collection)))
            continue
        origin = plan.origin or origin
        row = _row(collection, obj, author, version or clock, clock, level, origin,
                   plan.contested, text)
        row["iep_policy"] = stored_policy
        row["expires_at"] = policies.expires_at(policy, clock)
        row["outbound_text"] = stored_outbound(row["document"], level, origin, stored_policy,
                                               collection.is_exercise, obj)  # read fast
        clock += TICK
        rows.append(row)
        stored = _Version(collection.id, row["version"], level, author.team_id, origin,
                          plan.contested, row["revoked"], row["document"], in_batch=True,
                          iep_policy=stored_policy)
        entry = held.setdefault(stix_id, _Held())
        entry.versions.append(stored)
        if writer.may_read(stored):
            entry.readable.append(stored)
        if stix_id not in newest or row["version"] > newest[stix_id]["version"]:
            newest[stix_id] = row
        result.stored += 1
        result.tlp_counts[level.value] = result.tlp_counts.get(level.value, 0) + 1
        result.successes.append(_detail(stix_id, row["version"]))
    if rows:
        _store(session, collection, rows, newest, held)
    return result


def _text(obj: Any) -> str | None:
    """The stored form of ``obj`` (compact JSON, as written), or None if it has none."""
    try:
        return compact(obj)
    except (RecursionError, TypeError, ValueError):
        return None


def _verbatim(entry: _Held, collection: Collection, text: str | None,
              version: datetime | None) -> bool:
    """``text`` is, word for word, a version the writer may read in this collection."""
    if version is None or text is None:
        return False
    return any(held.collection_id == collection.id and held.version == version
               and held.document == text for held in entry.readable)


def _newest_here(entry: _Held | None, collection: Collection) -> datetime | None:
    here = entry.here(collection.id) if entry is not None else []
    return max((held.version for held in here), default=None)


def _row(collection: Collection, obj: Mapping[str, Any], author: Author, version: datetime,
         date_added: datetime, tlp: Tlp, origin: str, contested: bool,
         text: str | None = None) -> dict[str, Any]:
    return {
        "collection_id": collection.id, "stix_id": obj["id"], "stix_type": obj["type"],
        "spec_version": str(obj.get("spec_version", "2.1")), "version": version,
        "date_added": date_added, "is_latest": False, "revoked": obj.get("revoked") is True,
        "tlp": tlp, "source_team_id": author.team_id, "source_user_id": author.user_id,
        "source_token_id": author.token_id, "origin": origin, "contested": contested,
        "document": text if text is not None else compact(obj),
    }


def _store(session: Session, collection: Collection, rows: list[dict[str, Any]],
           newest: dict[str, dict[str, Any]], held: dict[str, _Held]) -> None:
    """Insert the rows in one statement and keep ``is_latest`` true for one version per id."""
    superseded: list[str] = []
    for stix_id, row in newest.items():
        previous = max((held.version for held in held[stix_id].here(collection.id)
                        if not held.in_batch), default=None)
        if previous is None or row["version"] > previous:
            row["is_latest"] = True
            if previous is not None:
                superseded.append(stix_id)
    if superseded:
        session.execute(update(StixObject).where(
            StixObject.collection_id == collection.id, StixObject.stix_id.in_(superseded),
            StixObject.is_latest.is_(True)).values(is_latest=False))
    # One executemany, without the ORM bulk path's per-row bookkeeping, each distinct bind
    # value prepared once.
    insert_rows(session.connection(), cast(Table, StixObject.__table__), rows)
    session.execute(update(Collection).where(Collection.id == collection.id)
                    .values(last_date_added=rows[-1]["date_added"]))
    collection.last_date_added = rows[-1]["date_added"]


@lru_cache(maxsize=4096)
def _formatted(version: datetime) -> str:
    """A version as a status resource states it (objects of a batch often share one)."""
    return format_timestamp(version)


def _detail(stix_id: str, version: datetime | None, message: str | None = None
            ) -> dict[str, str]:
    detail = {"id": stix_id, "version": _formatted(version) if version else ""}
    if message is not None:
        detail["message"] = message
    return detail
