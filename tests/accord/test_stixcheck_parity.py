"""Differential test: the fast validation path gives stix2's verdict on every object (issue 15).

The corpus (tests/accord/stixcorpus.py) is seeded: ``stix2-generator`` objects of every STIX 2.1
type and systematic mutations of each. Every object is judged twice, by the hub's validation
with the fast path and by stix2 alone (``validation_error(obj, fast=False)``); any difference,
in the accept/reject verdict or in the reason, fails. The fast path is also held directly to
``stix2.parse``: whatever ``stixcheck.accepts`` passes, stix2 must accept.

CI runs a bounded corpus. ``ACCORD_STIX_PARITY_PER_TYPE`` (objects per type, default 2) and
``ACCORD_STIX_PARITY_SAMPLED`` (random palette mutations per object, default 30) enlarge it.
The corpus is seeded; stix2-generator iterates sets, so its exact make-up (and size, about
14,000 objects by default) also varies with Python's hash seed between runs.
"""

from __future__ import annotations

import os
import random
import re
from typing import Any

import stix2

from accord.sharing import stixcheck
from accord.sharing.validation import validation_error
from tests.accord.stixcorpus import GENERATED_TYPES, base_objects, mutations

SEED = 20261203
PER_TYPE = int(os.environ.get("ACCORD_STIX_PARITY_PER_TYPE", "2"))
SAMPLED = int(os.environ.get("ACCORD_STIX_PARITY_SAMPLED", "30"))
# stix2 words some reasons with the time of the call (a defaulted ``created``); two calls a
# microsecond apart must still count as the same verdict.
_NOW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


def _verdict(obj: dict[str, Any], fast: bool) -> str | None:
    """The hub's verdict on ``obj``, comparable between two calls. An exception raised while
    judging (stix2-patterns crashes on some patterns, which validation.pattern_error is being
    hardened against) is a verdict too, and the same exception must come from both paths."""
    try:
        reason = validation_error(obj, fast=fast)
    except Exception as exc:  # recorded and compared, never swallowed
        return f"raised {type(exc).__name__}"
    return None if reason is None else _NOW.sub("<time>", reason)


def _stix2_accepts(obj: dict[str, Any]) -> bool:
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except Exception:  # any stix2 exception is a rejection
        return False
    return True


def _same(fast: str | None, reference: str | None) -> bool:
    """Equal verdicts; reasons cut at validation.MAX_REASON characters compare up to the
    shorter one when they quote the time of the call (its length varies)."""
    if fast is None or reference is None or "<time>" not in reference:
        return fast == reference
    return fast.startswith(reference) or reference.startswith(fast)


def test_fast_path_gives_stix2_verdicts_on_the_corpus() -> None:
    rng = random.Random(SEED)
    judged = accepted = fast_accepted = 0
    disagreements: list[str] = []
    for base in base_objects(PER_TYPE, SEED):
        for obj in (base, *mutations(base, rng, SAMPLED)):
            judged += 1
            fast, reference = _verdict(obj, fast=True), _verdict(obj, fast=False)
            if not _same(fast, reference):
                disagreements.append(f"{obj!r:.400}: fast {fast!r}, stix2 {reference!r}")
            plain = {**obj, "pattern_type": "x-accord-checked"} \
                if obj.get("pattern_type") == "stix" else obj
            if stixcheck.accepts(plain):
                fast_accepted += 1
                if not _stix2_accepts(plain):
                    disagreements.append(f"{plain!r:.400}: fast path accepts, stix2 rejects")
            accepted += reference is None
    print(f"stix parity corpus: {judged} objects ({PER_TYPE} per type x "
          f"{len(GENERATED_TYPES) + 2} types, with mutations), {accepted} accepted by stix2, "
          f"{fast_accepted} accepted by the fast path, {len(disagreements)} disagreements")
    assert disagreements == [], "\n".join(disagreements[:20])
    assert judged > 5_000 * PER_TYPE
    assert 0 < accepted < judged


def test_fast_path_decides_most_valid_generated_objects() -> None:
    """The fast path must carry the load: valid objects of the modelled types skip stix2."""
    valid = fast = 0
    for obj in base_objects(2, SEED + 1):
        plain = {**obj, "pattern_type": "x-accord-checked"} \
            if obj.get("pattern_type") == "stix" else obj
        if obj["type"] in stixcheck.covered_types() and validation_error(obj, fast=False) \
                is None:
            valid += 1
            fast += stixcheck.accepts(plain)
    assert valid >= 60
    assert fast / valid >= 0.6, f"fast path decided only {fast} of {valid} valid objects"


def test_fast_path_accepts_the_usual_feed_objects() -> None:
    stamp = "2026-05-01T00:00:00.000Z"
    indicator = {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": stamp,
        "modified": stamp, "name": "host", "pattern_type": "x-accord-checked",
        "pattern": "[ipv4-addr:value = '10.0.0.1']", "valid_from": stamp,
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
        "labels": ["a"], "confidence": 80,
        "external_references": [{"source_name": "cve", "external_id": "CVE-2024-1"}],
        "kill_chain_phases": [{"kill_chain_name": "k", "phase_name": "p"}],
        "x_acme_score": {"nested": [1, 2]},
    }
    assert stixcheck.accepts(indicator)
    sco = {"type": "ipv4-addr", "spec_version": "2.1",
           "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "10.0.0.1"}
    assert stixcheck.accepts(sco)
    assert not stixcheck.accepts({**indicator, "pattern_type": "stix"})  # judged by the caller
    assert not stixcheck.accepts({**indicator, "X_bad": None})
    relationship = {"type": "relationship", "spec_version": "2.1",
                    "id": "relationship--0b9cfdb9-4d1f-4c7a-9a39-6a4b5a1d2e3f",
                    "created": stamp, "modified": stamp, "relationship_type": "uses",
                    "source_ref": "identity--0b9cfdb9-4d1f-4c7a-9a39-6a4b5a1d2e3f",
                    "target_ref": "malware--0b9cfdb9-4d1f-4c7a-9a39-6a4b5a1d2e3f"}
    assert stixcheck.accepts(relationship)
    # Found by the large corpus: stix2's Relationship drops a falsy relationship_type.
    assert not stixcheck.accepts({**relationship, "relationship_type": ""})
    assert validation_error({**indicator, "valid_until": "2020-01-01T00:00:00Z"}) == \
        validation_error({**indicator, "valid_until": "2020-01-01T00:00:00Z"}, fast=False)
