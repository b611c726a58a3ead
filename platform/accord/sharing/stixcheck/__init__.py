"""Fast STIX 2.1 acceptance with ``stix2``'s verdicts, without building ``stix2`` objects.

``accepts(obj)`` is True only when ``stix2.parse(obj, allow_custom=True, version="2.1")`` would
accept ``obj``; False means "not sure", and the caller asks ``stix2``, which then decides and
gives the reason. So every rejection, and every object this package does not model (custom
types, extensions, granular markings, marking definitions, bundles, values in a form other
than plain JSON), is judged by ``stix2`` itself, and verdicts can only differ if a check here
passes what ``stix2`` refuses, which the differential test
(tests/accord/test_stixcheck_parity.py) looks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.sharing.stixcheck.plans import judge, plans


def accepts(obj: Mapping[str, Any]) -> bool:
    """True if stix2 surely accepts ``obj`` as a STIX 2.1 object (custom properties allowed)."""
    kind = obj.get("type")
    plan = plans().get(kind) if type(kind) is str else None
    return plan is not None and judge(plan, obj) is not None


def covered_types() -> frozenset[str]:
    """The STIX 2.1 types with a fast plan (the others always go to stix2)."""
    return frozenset(plans())
