"""FIRST Information Exchange Policy 2.0: the vocabulary, parsing, and "stricter wins".

TLP says who may receive an object. IEP 2.0 says the rest: how it must be protected
(``encrypt_in_transit``, ``encrypt_at_rest``), what the recipient may do with it
(``permitted_actions``, ``affected_party_notifications``), how it may be passed on (``tlp``,
``attribution``, ``unmodified_resale``) and when the policy applies (``start_date``,
``end_date``). In STIX 2.1 a policy travels as a ``marking-definition`` whose extension holds
these statements (FIRST's IEP 2.0 STIX binding, an extension definition in the sense of STIX
2.1 section 7.3); objects point at it from ``object_marking_refs``.

This module is the one place that knows the statements and their order. It is pure (no
database): ingest parses and stores a policy per object version, agreements carry a default
one, and every read and outbound path asks :class:`IepPolicy` what it allows.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from accord.sharing.timestamps import parse_timestamp
from accord.tlp import Tlp

IEP_VERSION = "2.0"


class IepError(ValueError):
    """A policy that does not follow IEP 2.0; the message names the statement and value."""


class Requirement(enum.StrEnum):
    """``encrypt_in_transit`` / ``encrypt_at_rest``: ``must`` is stricter than ``may``."""

    MAY = "may"
    MUST = "must"


class Permission(enum.StrEnum):
    """``affected_party_notifications`` / ``unmodified_resale``: ``must-not`` is stricter."""

    MAY = "may"
    MUST_NOT = "must-not"


class Attribution(enum.StrEnum):
    """``attribution``: whether recipients must, may or must not name the provider.

    For the hub, ``must-not`` is the strictest: it hides the source from every recipient.
    """

    MAY = "may"
    MUST = "must"
    MUST_NOT = "must-not"


class Action(enum.StrEnum):
    """``permitted_actions``, from most to least restrictive (IEP 2.0 order)."""

    NOTHING = "nothing"
    CONTACT_FOR_INSTRUCTION = "contact-for-instruction"
    INTERNALLY_VISIBLE = "internally-visible-actions"
    EXTERNALLY_VISIBLE_INDIRECT = "externally-visible-indirect-actions"
    EXTERNALLY_VISIBLE_DIRECT = "externally-visible-direct-actions"

    @property
    def rank(self) -> int:
        return list(Action).index(self)


# Spellings seen in the wild for the same statements, read as their IEP 2.0 value.
_ALIASES = {"none": "nothing", "contact-for-instructions": "contact-for-instruction",
            "white": "clear"}
_ORDER: dict[type[enum.Enum], list[str]] = {
    Requirement: ["may", "must"],
    Permission: ["may", "must-not"],
    Attribution: ["may", "must", "must-not"],
}


@dataclass(frozen=True)
class IepPolicy:
    """One IEP 2.0 policy. ``None`` for a statement the policy does not make."""

    name: str = ""
    policy_id: str | None = None
    encrypt_in_transit: Requirement | None = None
    encrypt_at_rest: Requirement | None = None
    permitted_actions: Action | None = None
    affected_party_notifications: Permission | None = None
    tlp: Tlp | None = None
    attribution: Attribution | None = None
    unmodified_resale: Permission | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None

    def permits(self, action: Action) -> bool:
        """Whether a recipient may take ``action`` (no statement: no limit)."""
        return self.permitted_actions is None or action.rank <= self.permitted_actions.rank

    def in_force(self, now: datetime) -> bool:
        """Whether ``now`` is inside the policy's validity (open ends are unbounded)."""
        return ((self.start_date is None or self.start_date <= now)
                and (self.end_date is None or now < self.end_date))

    @property
    def hides_source(self) -> bool:
        return self.attribution is Attribution.MUST_NOT

    @property
    def needs_encryption_in_transit(self) -> bool:
        return self.encrypt_in_transit is Requirement.MUST

    def to_json(self) -> dict[str, Any]:
        """The stored and published form: IEP 2.0 statement names, only statements made."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value is None or value == "":
                continue
            out[key] = value.isoformat().replace("+00:00", "Z") if isinstance(
                value, datetime) else str(value)
        return out


def parse_policy(data: Mapping[str, Any]) -> IepPolicy:
    """A policy from its JSON statements (as stored, or from an API/CLI/agreement form).

    Unknown keys are ignored (IEP allows more statements than the hub enforces); a known
    statement with a wrong value raises :class:`IepError` naming it.
    """
    if not isinstance(data, Mapping):
        raise IepError("an IEP policy is a JSON object of statements")
    version = data.get("iep_version", IEP_VERSION)
    if str(version) != IEP_VERSION:
        raise IepError(f"iep_version {version!r} is not supported (only {IEP_VERSION})")
    values: dict[str, Any] = {}
    for spec in fields(IepPolicy):
        raw = data.get(spec.name)
        if raw is None:
            continue
        values[spec.name] = _statement(spec.name, raw)
    if (values.get("start_date") and values.get("end_date")
            and values["end_date"] <= values["start_date"]):
        raise IepError("end_date must be after start_date")
    return IepPolicy(**values)


_KINDS: dict[str, type[enum.Enum]] = {
    "encrypt_in_transit": Requirement, "encrypt_at_rest": Requirement,
    "permitted_actions": Action, "affected_party_notifications": Permission,
    "tlp": Tlp, "attribution": Attribution, "unmodified_resale": Permission,
}


def _statement(name: str, raw: Any) -> Any:
    if name in ("name", "policy_id"):
        if not isinstance(raw, str) or len(raw) > 300:
            raise IepError(f"{name} must be a string of at most 300 characters")
        return raw
    if name in ("start_date", "end_date"):
        try:
            return parse_timestamp(raw)
        except ValueError:
            raise IepError(f"{name} {raw!r} is not an RFC 3339 timestamp") from None
    kind = _KINDS[name]
    text = _ALIASES.get(str(raw).strip().lower(), str(raw).strip().lower())
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise IepError(f"{name} {raw!r} is not one of: {allowed}") from None


def policy_in_marking(marking: Mapping[str, Any]) -> IepPolicy | None:
    """The IEP policy a ``marking-definition`` carries, or None if it carries none.

    Recognised forms: an extension (any extension id) whose statements include
    ``iep_version`` (FIRST's STIX 2.1 binding), and the pre-2.1 ``definition_type: "iep"``
    with the statements in ``definition``. The marking's ``id`` becomes ``policy_id`` and its
    ``name`` the policy name unless the statements name one. Raises :class:`IepError` for a
    malformed policy.
    """
    if marking.get("type") != "marking-definition":
        return None
    statements: Mapping[str, Any] | None = None
    extensions = marking.get("extensions")
    if isinstance(extensions, Mapping):
        for extension in extensions.values():
            if isinstance(extension, Mapping) and "iep_version" in extension:
                statements = extension
                break
    definition = marking.get("definition")
    if statements is None and marking.get("definition_type") == "iep" and isinstance(
            definition, Mapping):
        statements = definition
    if statements is None:
        return None
    policy = parse_policy(statements)
    name = policy.name or str(marking.get("name") or "")
    marking_id = marking.get("id")
    return replace(policy, name=name,
                   policy_id=marking_id if isinstance(marking_id, str) else policy.policy_id)


def stricter(first: IepPolicy | None, second: IepPolicy | None) -> IepPolicy | None:
    """Both policies at once: each statement takes the stricter value (the narrower dates).

    Used when an object carries its own policy and is shared under an agreement's default,
    or carries several IEP markings. The name lists both when they differ.
    """
    if first is None or second is None:
        return first or second
    merged: dict[str, Any] = {}
    for spec in fields(IepPolicy):
        a, b = getattr(first, spec.name), getattr(second, spec.name)
        merged[spec.name] = a if b is None else b if a is None else _stricter_value(
            spec.name, a, b)
    return IepPolicy(**merged)


def _stricter_value(name: str, a: Any, b: Any) -> Any:
    if name == "name":
        return a if a == b else f"{a} + {b}"
    if name == "policy_id":
        return a
    if name == "start_date":
        return max(a, b)
    if name == "end_date":
        return min(a, b)
    if isinstance(a, Tlp):
        return max(a, b)
    if isinstance(a, Action):
        return a if a.rank <= b.rank else b
    order = _ORDER[type(a)]
    return a if order.index(a.value) >= order.index(b.value) else b
