"""Naming the source, or not: IEP 2.0 ``attribution: must-not`` (issue 17).

A version whose policy hides its source reaches every recipient other than its source team as
if the hub had published it: ``created_by_ref`` names the hub's own identity, and pages show
the hub's name instead of the team's. The stored document is never rewritten (rule 4); the
copy that leaves is. The source team itself, and the hub's audit log, still see who it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

# The namespace of the hub identity's id: the same hub name gives the same identity everywhere.
_HUB_NAMESPACE = uuid.UUID("6f1c2f3e-8a0b-4e65-9a53-4c2d1e0b7a91")


def hub_identity_id(hub_name: str) -> str:
    """The STIX identity id the hub publishes under (stable for one ``HUB_NAME``)."""
    return f"identity--{uuid.uuid5(_HUB_NAMESPACE, hub_name)}"


def hub_identity(hub_name: str) -> dict[str, Any]:
    """The hub's STIX identity object, for bundles that name it."""
    return {"type": "identity", "spec_version": "2.1", "id": hub_identity_id(hub_name),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": hub_name, "identity_class": "system"}


def hides_source(policy: Mapping[str, Any] | None) -> bool:
    """Whether a stored policy (``StixObject.iep_policy``) forbids naming the source."""
    return bool(policy) and policy.get("attribution") == "must-not"  # type: ignore[union-attr]


def withhold_source(obj: Mapping[str, Any], policy: Mapping[str, Any] | None,
                    hub_name: str) -> dict[str, Any]:
    """``obj`` as a recipient may see it: the hub named as creator when the source is hidden."""
    copy = dict(obj)
    if hides_source(policy) and "created" in copy and copy.get("type") != "marking-definition":
        copy["created_by_ref"] = hub_identity_id(hub_name)
    return copy
