"""The IEP 2.0 policy and attribution every outbound copy carries (issue 17).

A stored version's policy (``StixObject.iep_policy``) travels with every copy that leaves the
hub: the copy references an IEP marking-definition that states it, and that definition goes
out before the objects (bundle exports, feed pushes, TAXII pages served to automation), so the
next hub parses it (:func:`accord.iep.policy_in_marking`) and stores the same policy. The
marking is the object's own when its policy came from exactly that marking, else a
deterministic one built from the stored statements (same policy, same id, on every hub).

A version whose policy hides its source (``attribution: must-not``) names the hub identity as
its creator for every recipient but its source team, and the hub's identity object goes out
with it. Versions past ``expires_at`` never leave, except to the source team's own export.
The table per statement and path: docs/sharing-rules.md "IEP 2.0 on outbound copies".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.iep import IEP_VERSION, IepError, policy_in_marking
from accord.models.stix import StixObject
from accord.sharing.attribution import hides_source, hub_identity
from accord.tlp import marking_refs

# The extension id the hub's own IEP marking-definitions use (FIRST's IEP 2.0 binding puts the
# statements in a property extension; any extension id with ``iep_version`` is recognised).
IEP_EXTENSION_ID = "extension-definition--0f5dd1b8-7d1b-4d0c-8a4e-6b1d2b3f0c11"
_MARKING_NAMESPACE = uuid.UUID("b5d3c0a4-2f61-4d8e-9c7a-51e0f4a2d6b3")
MARKING_CREATED = "2026-01-01T00:00:00.000Z"
EXPIRED = "expired: its IEP end_date or the agreement's retention has passed"
NEEDS_ENCRYPTION = "its IEP policy requires encryption in transit (encrypt_in_transit: must) " \
                   "and the remote is plain http://"
_DEFINITION_TYPES = frozenset({"marking-definition", "identity"})


def _canonical(policy: Mapping[str, Any]) -> str:
    return json.dumps({key: value for key, value in policy.items() if key != "policy_id"},
                      sort_keys=True, separators=(",", ":"))


def policy_marking_id(policy: Mapping[str, Any]) -> str:
    """The deterministic marking-definition id of a stored policy (its statements and name)."""
    return f"marking-definition--{uuid.uuid5(_MARKING_NAMESPACE, _canonical(policy))}"


def policy_marking(policy: Mapping[str, Any]) -> dict[str, Any]:
    """An IEP 2.0 marking-definition stating ``policy`` (STIX 2.1 s7.2 with an extension)."""
    body = {key: value for key, value in policy.items() if key not in ("name", "policy_id")}
    marking: dict[str, Any] = {
        "type": "marking-definition", "spec_version": "2.1", "id": policy_marking_id(policy),
        "created": MARKING_CREATED,
        "extensions": {IEP_EXTENSION_ID: {"extension_type": "property-extension",
                                          "iep_version": IEP_VERSION, **body}}}
    if policy.get("name"):
        marking["name"] = str(policy["name"])
    return marking


def needs_encryption(policy: Mapping[str, Any] | None) -> bool:
    """Whether a stored IEP policy says ``encrypt_in_transit: must``."""
    return bool(policy) and (policy or {}).get("encrypt_in_transit") == "must"


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a version's validity or retention is over (``expires_at <= now``)."""
    return expires_at is not None and expires_at <= now


@dataclass(frozen=True)
class Carry:
    """What an outbound copy adds for IEP: the marking to reference, the creator to name."""

    marking_id: str | None = None
    creator: str | None = None  # the hub identity, replacing a hidden source


@dataclass
class Carrier:
    """One outbound run's IEP bookkeeping: which marking each policy travels as, and which
    definitions (IEP markings, the hub identity) must go out before the objects using them.

    ``reader_team_id``: the team the copies are for (an export); None for another hub or a
    remote (pushes, automation reading through TAXII), which is never the source team.
    """

    session: Session
    hub_name: str
    reader_team_id: uuid.UUID | None = None
    _markings: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    _stored: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    _sent: set[str] = field(default_factory=set)

    def sees_source(self, source_team_id: Any) -> bool:
        return self.reader_team_id is not None and self.reader_team_id == source_team_id

    def carry(self, obj: Mapping[str, Any], policy: Mapping[str, Any] | None,
              source_team_id: Any) -> Carry:
        """What ``obj``'s outbound copy adds; queues the definitions it needs."""
        if obj.get("type") == "marking-definition":
            return Carry()
        creator = None
        if hides_source(policy) and not self.sees_source(source_team_id):
            identity = hub_identity(self.hub_name)
            creator = str(identity["id"])
            self._queue(identity)
        if not policy:
            return Carry(creator=creator)
        marking_id, definition = self._marking(obj, policy)
        self._queue(definition)
        return Carry(marking_id, creator)

    def _marking(self, obj: Mapping[str, Any], policy: Mapping[str, Any]
                 ) -> tuple[str, dict[str, Any]]:
        own = policy.get("policy_id")
        refs = {ref.strip().lower() for ref in marking_refs(obj)}
        key = _canonical(policy) + "\0" + str(own if isinstance(own, str)
                                              and own.lower() in refs else "")
        if key not in self._markings:
            definition = self._own_definition(own, policy) if isinstance(
                own, str) and own.lower() in refs else None
            chosen = definition or policy_marking(policy)
            self._markings[key] = (str(chosen["id"]), chosen)
        return self._markings[key]

    def _own_definition(self, marking_id: str, policy: Mapping[str, Any]
                        ) -> dict[str, Any] | None:
        """The object's own IEP marking, if the stored policy is exactly what it states."""
        if marking_id not in self._stored:
            document = self.session.scalar(select(StixObject.document).where(
                StixObject.stix_id == marking_id,
                StixObject.stix_type == "marking-definition").limit(1))
            self._stored[marking_id] = json.loads(document) if document else None
        definition = self._stored[marking_id]
        if definition is None:
            return None
        try:
            parsed = policy_in_marking(definition)
        except IepError:
            return None
        return definition if parsed is not None and parsed.to_json() == dict(policy) else None

    def _queue(self, definition: dict[str, Any]) -> None:
        key = str(definition["id"])
        if key not in self._sent:
            self._pending[key] = definition

    def passes(self, obj: Mapping[str, Any]) -> bool:
        """Note a stored object going out in the same run; False for a definition that has
        already gone ahead of an object using it (so it is not sent twice)."""
        return self.passes_id(obj.get("type"), obj.get("id"))

    def passes_id(self, stix_type: Any, stix_id: Any) -> bool:
        """:meth:`passes` for an object known by its type and id."""
        if stix_type not in _DEFINITION_TYPES:
            return True
        key = str(stix_id)
        if key in self._sent:
            return False
        self._sent.add(key)
        self._pending.pop(key, None)
        return True

    def take(self) -> list[dict[str, Any]]:
        """The definitions queued since the last call, each once per run."""
        out = list(self._pending.values())
        self._sent.update(self._pending)
        self._pending = {}
        return out

