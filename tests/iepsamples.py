"""IEP 2.0 marking-definitions and marked indicators for the outbound tests (issue 17)."""

from __future__ import annotations

import uuid
from typing import Any

from accord.sharing.carried import IEP_EXTENSION_ID


def iep_marking(marking_id: str | None = None, name: str = "CERT-EE: analysis only",
                **statements: Any) -> dict[str, Any]:
    """An IEP 2.0 marking-definition (FIRST's extension form) with ``statements``."""
    return {"type": "marking-definition", "spec_version": "2.1",
            "id": marking_id or f"marking-definition--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "name": name,
            "extensions": {IEP_EXTENSION_ID: {"extension_type": "property-extension",
                                              "iep_version": "2.0", **statements}}}


def marked_indicator(number: int, *markings: str, created_by: str | None = None
                     ) -> dict[str, Any]:
    """An indicator for 198.51.100.``number`` marked with ``markings``."""
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": f"host {number}", "pattern": f"[ipv4-addr:value = '198.51.100.{number}']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}
    if markings:
        obj["object_marking_refs"] = list(markings)
    if created_by:
        obj["created_by_ref"] = created_by
    return obj
