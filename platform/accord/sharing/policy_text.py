"""An IEP 2.0 policy in plain words, for the object page and the API's object detail.

Each statement the policy makes becomes one line a reader can act on; the ones that forbid or
oblige something (``unmodified_resale: must-not``, ``affected_party_notifications: must-not``,
``encrypt_*: must``), the permitted actions and the validity are flagged ``prominent`` so pages
show them first and highlighted. What the hub enforces and what it only shows is in
docs/sharing-rules.md "IEP 2.0 policies".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from accord.iep import IepError, parse_policy
from accord.sharing.timestamps import format_timestamp, parse_timestamp

ACTIONS = {
    "nothing": "take no action on this information",
    "contact-for-instruction": "contact the source for instructions before any action",
    "internally-visible-actions": "act on it only inside your own organisation's systems",
    "externally-visible-indirect-actions": "act on it in ways visible outside, but not "
                                           "directly against the threat (e.g. monitoring)",
    "externally-visible-direct-actions": "act on it directly, also visibly outside "
                                         "(e.g. blocklists, sinkholes)",
}
_WORDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("encrypt_in_transit", "must"): ("Must be encrypted in transit.", True),
    ("encrypt_in_transit", "may"): ("May be sent unencrypted.", False),
    ("encrypt_at_rest", "must"): ("Must be encrypted at rest.", True),
    ("encrypt_at_rest", "may"): ("May be stored unencrypted.", False),
    ("affected_party_notifications", "must-not"): (
        "Must NOT be used to notify affected parties.", True),
    ("affected_party_notifications", "may"): ("May be used to notify affected parties.", False),
    ("unmodified_resale", "must-not"): ("Must NOT be resold or passed on unmodified.", True),
    ("unmodified_resale", "may"): ("May be passed on unmodified.", False),
    ("attribution", "must-not"): ("Must NOT name the source; the hub withholds it.", True),
    ("attribution", "must"): ("Must name the source when passed on.", False),
    ("attribution", "may"): ("May name the source.", False),
}


@dataclass(frozen=True)
class Statement:
    """One statement: its IEP name and value, in plain words, and whether to highlight it."""

    name: str
    value: str
    text: str
    prominent: bool


@dataclass(frozen=True)
class PolicyView:
    """A stored policy as shown to a reader: name, statements (prominent first), validity."""

    name: str
    policy_id: str | None
    statements: list[Statement]
    expires_at: datetime | None
    expired: bool

    @property
    def prominent(self) -> list[Statement]:
        return [s for s in self.statements if s.prominent]

    @property
    def other(self) -> list[Statement]:
        return [s for s in self.statements if not s.prominent]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "policy_id": self.policy_id,
                "statements": [asdict(s) for s in self.statements],
                "expires_at": format_timestamp(self.expires_at) if self.expires_at else None,
                "expired_for_recipients": self.expired}


def describe(stored: Mapping[str, Any] | None, expires_at: datetime | None,
             now: datetime) -> PolicyView | None:
    """The view of a version's stored policy (``StixObject.iep_policy``), None if it has none
    and no expiry. A stored policy that no longer parses is shown by its raw statements."""
    if not stored and expires_at is None:
        return None
    statements: list[Statement] = []
    name, policy_id = "", None
    if stored:
        try:
            policy = parse_policy(stored).to_json()
        except IepError:
            policy = {key: str(value) for key, value in stored.items()}
        name, policy_id = policy.pop("name", ""), policy.pop("policy_id", None)
        statements = [_statement(key, value) for key, value in policy.items()]
    if expires_at is not None:
        statements.append(Statement("expires_at", format_timestamp(expires_at),
                                    f"Recipients stop seeing it at {_day(expires_at)} (the "
                                    "earlier of end date and agreement retention).", True))
    statements.sort(key=lambda s: not s.prominent)
    return PolicyView(name=name, policy_id=policy_id, statements=statements,
                      expires_at=expires_at, expired=expires_at is not None and expires_at <= now)


def _statement(name: str, value: str) -> Statement:
    if name == "permitted_actions":
        return Statement(name, value, f"Permitted: {ACTIONS.get(value, value)}.", True)
    if name in ("start_date", "end_date"):
        try:
            moment = _day(parse_timestamp(value))
        except ValueError:
            moment = value
        text = (f"Valid from {moment}." if name == "start_date"
                else f"Valid until {moment}; then withdrawn from recipients.")
        return Statement(name, value, text, True)
    if name == "tlp":
        return Statement(name, value, f"TLP:{value.upper()} for any further sharing.", False)
    text, prominent = _WORDS.get((name, value), (f"{name}: {value}", False))
    return Statement(name, value, text, prominent)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
