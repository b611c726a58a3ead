"""The IEP 2.0 policy each stored version carries, decided once at ingest (issue 17).

An object's own policy comes from the IEP marking-definitions its ``object_marking_refs``
name, found in the same batch or already on the hub (as TLP-declaring definitions are, see
:mod:`accord.sharing.ingest`). A collection made under a sharing agreement adds the
agreement's default policy; when both exist, each statement takes the stricter value
(:func:`accord.iep.stricter`). The version stops being visible to recipients at
``expires_at``: the earlier of the policy's ``end_date`` and the agreement's retention period
after the version was added.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.iep import IepError, IepPolicy, parse_policy, policy_in_marking, stricter
from accord.models.agreements import Agreement
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.sharing.identifiers import is_stix_id
from accord.tlp import MARKING_ID_TO_TLP, marking_refs

IDS_PER_QUERY = 5000


@dataclass
class BatchPolicies:
    """The IEP policies one ingest batch can refer to, and its collection's agreement terms."""

    by_marking: dict[str, IepPolicy] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # marking id -> why it is refused
    default: IepPolicy | None = None
    retention: timedelta | None = None
    _by_refs: dict[tuple[str, ...], tuple[IepPolicy | None, str | None]] = field(
        default_factory=dict, repr=False)

    def policy_for(self, obj: Mapping[str, Any]) -> tuple[IepPolicy | None, str | None]:
        """The policy in force for ``obj`` (own markings, then the default), or a reason to
        refuse it: an object marked with a malformed IEP policy is not stored.

        For any object but a marking-definition the answer depends only on its marking refs,
        so each distinct list of refs is decided once (the batch's policies are all read by
        :func:`batch_policies` before any is asked for)."""
        own_id = obj.get("id")
        if obj.get("type") == "marking-definition":
            if isinstance(own_id, str) and own_id.strip().lower() in self.broken:
                return None, f"invalid IEP policy: {self.broken[own_id.strip().lower()]}"
            return self._decide(marking_refs(obj))
        refs = tuple(marking_refs(obj))
        decided = self._by_refs.get(refs)
        if decided is None:
            decided = self._by_refs[refs] = self._decide(refs)
        return decided

    def _decide(self, refs: Sequence[str]) -> tuple[IepPolicy | None, str | None]:
        own: IepPolicy | None = None
        for ref in refs:
            key = ref.strip().lower()
            if key in self.broken:
                return None, f"IEP marking {ref}: {self.broken[key]}"
            own = stricter(own, self.by_marking.get(key))
        return stricter(own, self.default), None

    def expires_at(self, policy: IepPolicy | None, date_added: datetime) -> datetime | None:
        """When recipients stop seeing a version added at ``date_added``."""
        ends = [moment for moment in (
            policy.end_date if policy is not None else None,
            date_added + self.retention if self.retention is not None else None)
            if moment is not None]
        return min(ends, default=None)


def batch_policies(session: Session, collection: Collection,
                   objects: Sequence[Any]) -> BatchPolicies:
    """Read the IEP markings the batch defines or refers to, and the agreement's terms."""
    found = BatchPolicies()
    for obj in objects:
        if isinstance(obj, Mapping) and obj.get("type") == "marking-definition":
            _learn(found, obj)
    written = {ref.strip().lower() for obj in objects if isinstance(obj, Mapping)
               for ref in marking_refs(obj)}
    wanted = sorted(ref for ref in written
                    if ref not in found.by_marking and ref not in found.broken
                    and ref not in MARKING_ID_TO_TLP
                    and ref.startswith("marking-definition--") and is_stix_id(ref))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        for document in session.scalars(select(StixObject.document).where(
                StixObject.stix_id.in_(wanted[start:start + IDS_PER_QUERY]),
                StixObject.stix_type == "marking-definition")):
            _learn(found, json.loads(document))
    if collection.agreement_id is not None:
        agreement = session.get(Agreement, collection.agreement_id)
        if agreement is not None:
            found.default = _agreement_default(agreement)
            if agreement.retention_days is not None:
                found.retention = timedelta(days=agreement.retention_days)
    return found


def _learn(found: BatchPolicies, marking: Mapping[str, Any]) -> None:
    marking_id = marking.get("id")
    if not isinstance(marking_id, str):
        return
    try:
        policy = policy_in_marking(marking)
    except IepError as error:
        found.broken[marking_id.strip().lower()] = str(error)
        return
    if policy is not None:
        found.by_marking[marking_id.strip().lower()] = policy


def _agreement_default(agreement: Agreement) -> IepPolicy | None:
    if not agreement.default_policy:
        return None
    policy = parse_policy(agreement.default_policy)
    return policy if policy.name else IepPolicy(**{**policy.__dict__,
                                                   "name": agreement.title})


def stored_policy(document: Mapping[str, Any] | None) -> IepPolicy | None:
    """The policy stored on a version (``StixObject.iep_policy``), None if it has none."""
    return parse_policy(document) if document else None
