"""The copy of a stored object that leaves the hub: its effective TLP, origin and policy stated.

Every outbound path (feed pushes, TAXII answers to service accounts such as a remote hub's pull,
bundle exports) sends this copy, so the next hop can neither file the object under a lower TLP
(rule 3: TLP never decreases across a hop) nor lose who created it (rule 4: only the origin adds
versions). Fields may be added, never otherwise changed: the object's effective TLP as an OASIS
TLP 2.0 ``object_marking_refs`` entry when its object-level markings do not already state it (an
unmarked object takes its collection's default; a granular or partner-defined level is lifted
to the object), and ``created_by_ref`` (STIX 2.1 section 3.2, common to SDOs and SROs) naming
the origin when the object names no creator. An object served from an exercise collection
also carries the exercise marking, so no live hub can take it for real data.

IEP 2.0 (issue 17, :mod:`accord.sharing.carried`): the copy references the IEP marking that
states its stored policy, and a source the policy hides (``attribution: must-not``) is
replaced by the hub's identity as ``created_by_ref`` (the one field that is rewritten).

Stored copies (issue 15): the copy that depends on neither the reader nor the hub's other
rows (no IEP policy, a live collection) is computed once at ingest (:func:`stored_outbound`,
``StixObject.outbound_text``) and served as stored (:func:`outbound_page`); every other row, and
rows stored before the column existed (NULL), is computed per read as before, with the same
bytes either way.

The hub compares versions in this form too (:func:`fingerprint`), so a copy coming back from
another hub is recognised as the same version: IEP marking references and a hidden creator are
left out of the comparison.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from accord import jsonfast
from accord.db import utcnow
from accord.sharing.carried import Carrier, Carry, is_expired, needs_encryption
from accord.sharing.exercise_separation import EXERCISE_MARKING_ID, is_exercise_object
from accord.tlp import Tlp, stamp


def outbound_copy(obj: Mapping[str, Any], level: Tlp, origin: str | None,
                  exercise: bool = False, carry: Carry | None = None) -> dict[str, Any]:
    """``obj`` with its effective TLP and origin stated (marking-definitions are left alone);
    ``exercise``: from an exercise collection, so it also carries the exercise marking;
    ``carry``: the IEP marking to reference and the hub identity naming a hidden source."""
    if obj.get("type") == "marking-definition":
        return dict(obj)
    copy = stamp(obj, level) or dict(obj)
    if carry is not None and carry.creator and "created" in copy:
        copy["created_by_ref"] = carry.creator
    elif origin and "created_by_ref" not in copy and "created" in copy:
        copy["created_by_ref"] = origin
    if exercise and not is_exercise_object(copy):
        copy["object_marking_refs"] = [*copy.get("object_marking_refs", []), EXERCISE_MARKING_ID]
    if carry is not None and carry.marking_id:
        refs = list(copy.get("object_marking_refs") or [])
        if carry.marking_id not in refs:
            copy["object_marking_refs"] = [*refs, carry.marking_id]
    return copy


def _parsed(document: str) -> Any:
    value = jsonfast.loads(document)
    return value if jsonfast.parsed(value) else json.loads(document)


def outbound_document(document: str, level: Tlp, origin: str | None,
                      exercise: bool = False, carry: Carry | None = None,
                      obj: Any = None) -> str:
    """The outbound JSON text of a stored document (the stored text itself when unchanged);
    ``obj``: the document already parsed (at ingest), else it is parsed here."""
    if obj is None:
        obj = _parsed(document)
    if not isinstance(obj, dict):
        return document
    copy = outbound_copy(obj, level, origin, exercise, carry)
    return document if copy == obj else jsonfast.compact(copy)


SAME_AS_DOCUMENT = ""  # ``outbound_text`` of a version whose outbound copy is its document


def stored_outbound(document: str, level: Tlp, origin: str | None,
                    policy: Mapping[str, Any] | None, exercise_collection: bool,
                    obj: Mapping[str, Any] | None = None) -> str | None:
    """The ``outbound_text`` to store with a new version: its outbound copy for every reader,
    or None when that copy depends on the read (an IEP policy: its marking, a hidden source;
    an exercise collection: the exercise marking). The text is what
    :func:`outbound_document` gives at read time for such a row, byte for byte. A change to
    the rules of :func:`outbound_copy` must come with a migration that sets the column back
    to NULL, so stored rows fall back to the computed copy."""
    if policy or exercise_collection:
        return None
    text = outbound_document(document, level, origin, obj=obj)
    return SAME_AS_DOCUMENT if text == document else text


def fingerprint(obj: Mapping[str, Any], level: Tlp, origin: str | None,
                iep_markings: Collection[str] = (), hide_creator: bool = False) -> str:
    """What makes two copies of one version the same: their outbound form, keys sorted.

    ``iep_markings`` are the ids of IEP marking-definitions known to the hub: references to
    them are left out, and so is the creator when ``hide_creator`` (a policy on either side
    hides the source), so the copy another hub made (its
    own hub identity, a derived IEP marking) matches. A copy differing only in its IEP markings
    is therefore a duplicate: it is not stored, and the version held keeps its policy.
    """
    copy = outbound_copy(obj, level, origin)
    known = {marking.strip().lower() for marking in iep_markings}
    if known and "object_marking_refs" in copy:
        copy["object_marking_refs"] = [
            ref for ref in copy["object_marking_refs"]
            if not (isinstance(ref, str) and ref.strip().lower() in known)]
    if hide_creator:
        copy.pop("created_by_ref", None)
    return json.dumps(copy, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_PICKED = ("expires_at", "iep_policy", "outbound_text", "stix_type", "stix_id", "document")


def _picker(first: Any) -> Callable[[Any], tuple[Any, ...]]:
    """Reads a row's ``_PICKED`` values (``outbound_text``, ``stix_type`` and ``stix_id`` None
    when not selected): by position for result rows, whose attribute access costs ten times
    more."""
    fields = list(getattr(first, "_fields", ()))
    if all(name in fields for name in _PICKED):
        return itemgetter(*(fields.index(name) for name in _PICKED))
    return lambda row: tuple(getattr(row, name, None) for name in _PICKED)


def _same(row: Any) -> Any:
    return row


def outbound_page(session: Session, rows: Iterable[Any], hub_name: str,
                  reader_team_id: uuid.UUID | None, exercise: bool = False,
                  plain_http: bool = False, definitions: bool = True,
                  typed: Callable[[Any], Any] = _same) -> list[str]:
    """The documents of one page served to automation (a remote hub's pull), in outbound form.

    ``rows`` carry ``document``, ``tlp``, ``origin``, ``source_team_id``, ``iep_policy`` and
    ``expires_at``, and may carry ``outbound_text`` (then also ``stix_type`` and ``stix_id``).
    Rows of driver values (:mod:`accord.sharing.raw_rows`) come with ``typed``, which
    converts one: a row served as its stored copy is not converted at all.
    Expired versions are left out unless the reader is their source team, and
    over ``plain_http`` (no TLS to the reader) so are versions whose policy requires
    encryption in transit (the reader sees as much as if they were not there). With
    ``definitions`` (a page of get objects, not one object's versions), each IEP
    marking-definition (and the hub identity) a copy needs comes just before it, so the next
    hub parses the policy in the same page.
    """
    rows = list(rows)
    carrier = Carrier(session, hub_name, reader_team_id)
    now = utcnow()
    out: list[str] = []
    pick = _picker(rows[0]) if rows else None
    for row in rows:  # the per-row work of every automation read: kept lean (issue 15)
        expires_at, policy, stored, stix_type, stix_id, document = pick(row)  # type: ignore[misc]
        # A version that never expires and has no policy (NULL, raw or not) is served as the
        # copy stored at ingest, if any, as it comes; any other row is converted whole.
        if expires_at is not None or policy is not None or stored is None or exercise:
            row = typed(row)
            expires_at, policy, stored, stix_type, stix_id, document = pick(row)  # type: ignore[misc]
            if is_expired(expires_at, now) and not carrier.sees_source(row.source_team_id):
                continue
            if plain_http and needs_encryption(policy):
                continue
        # The copy stored at ingest (stored_outbound): no policy, so nothing to carry and no
        # definition goes ahead of it; "" is the document itself; None is computed below.
        if stored is not None and not exercise and not policy:
            if not definitions or carrier.passes_id(stix_type, stix_id):
                out.append(stored or document)
            continue
        obj = _parsed(document)
        carry = carrier.carry(obj, policy, row.source_team_id) if isinstance(obj, dict) else None
        needed = carrier.take()
        if definitions:
            out.extend(json.dumps(item, separators=(",", ":")) for item in needed)
            if isinstance(obj, dict) and not carrier.passes(obj):
                continue  # a definition already served ahead of an object using it
        out.append(outbound_document(document, row.tlp, row.origin, exercise, carry, obj))
    return out
