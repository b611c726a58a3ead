"""IEP 2.0 policies and agreement terms in plain words, for partners and data-protection officers.

The statements and their meaning follow FIRST's IEP 2.0 framework (sections on handling,
action, sharing and licensing statements); the hub enforces validity, attribution and permitted
actions, and carries the others on every outbound copy.
"""

from __future__ import annotations

from typing import Any

from accord.iep import parse_policy

STATEMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "encrypt_in_transit": ("Encryption in transit", {
        "must": "must be encrypted whenever it travels (the hub never sends it over plain HTTP)",
        "may": "may travel unencrypted"}),
    "encrypt_at_rest": ("Encryption at rest", {
        "must": "recipients must store it encrypted", "may": "may be stored unencrypted"}),
    "permitted_actions": ("What recipients may do", {
        "nothing": "nothing: read it, take no action",
        "contact-for-instruction": "ask the provider before acting on it",
        "internally-visible-actions": "act on it inside their own organisation only "
                                      "(no blocklists or other externally visible use)",
        "externally-visible-indirect-actions": "act on it in ways outsiders cannot trace back "
                                               "(for example detection rules)",
        "externally-visible-direct-actions": "act on it in ways outsiders can see (for example "
                                             "blocking)"}),
    "affected_party_notifications": ("Telling affected parties", {
        "may": "recipients may tell those affected", "must-not": "recipients must not tell "
                                                                 "those affected"}),
    "tlp": ("Redistribution (TLP)", {}),
    "attribution": ("Naming the source", {
        "may": "recipients may name the provider", "must": "recipients must name the provider",
        "must-not": "recipients must not name the provider (the hub shows itself as the "
                    "source)"}),
    "unmodified_resale": ("Passing on unchanged for money", {
        "may": "may be resold unchanged", "must-not": "must not be resold unchanged"}),
    "start_date": ("Valid from", {}),
    "end_date": ("Valid until", {}),
}


def policy_lines(policy: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(statement, meaning)`` pairs for each statement the stored policy makes, in IEP order;
    an empty list for no policy."""
    if not policy:
        return []
    stored = parse_policy(policy).to_json()
    lines: list[tuple[str, str]] = []
    for key, (label, meanings) in STATEMENTS.items():
        value = stored.get(key)
        if value is None:
            continue
        if key == "tlp":
            meaning = f"TLP:{str(value).upper()}"
        elif key in ("start_date", "end_date"):
            meaning = str(value).replace("T", " ").replace("Z", " UTC")
        else:
            meaning = meanings.get(str(value), str(value))
        lines.append((label, meaning))
    return lines


def retention_words(days: int | None) -> str:
    """How long partners may see what is shared, in words."""
    if days is None:
        return "no retention limit"
    return f"{days} day{'s' if days != 1 else ''} after it is shared, then it is withdrawn"
