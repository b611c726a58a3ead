"""accord.tlp.BatchTlp: a batch's effective TLPs, decided once per list of marking refs (issue 15).

Ingest and feed pulls use it in place of calling effective_tlp for every object; it must give
effective_tlp's answer for every object of a batch, whatever order objects with the same refs
(and marking-definitions, which count their own id and definition) come in.
"""

from __future__ import annotations

import random
from typing import Any

from accord.tlp import (
    TLP2_EXTENSION_ID,
    BatchTlp,
    Tlp,
    declared_levels,
    effective_tlp,
    marking_ref,
)

PARTNER_RED = "marking-definition--0d5d9a2b-7e3c-4b8f-9a61-2f4c1e7d8b90"
UNKNOWN = "marking-definition--5b1e4c2a-9d3f-4e7a-8c6b-1a2f3e4d5c6b"


def _objects() -> list[dict[str, Any]]:
    green, amber, red = (marking_ref(level) for level in (Tlp.GREEN, Tlp.AMBER, Tlp.RED))
    ref_lists: list[list[Any]] = [[], [green], [green], [amber, green], [green, amber],
                                  [PARTNER_RED], [PARTNER_RED.upper()], [f" {green} "],
                                  [UNKNOWN], [UNKNOWN, red], [42, green]]
    objects: list[dict[str, Any]] = []
    for index, refs in enumerate(ref_lists):
        obj: dict[str, Any] = {"type": "indicator", "id": f"indicator--{index}",
                               "object_marking_refs": refs}
        if index % 3 == 0:
            obj["granular_markings"] = [{"selectors": ["name"], "marking_ref": red}]
        objects.append(obj)
    objects += [
        {"type": "marking-definition", "id": PARTNER_RED, "name": "TLP:RED"},
        {"type": "marking-definition", "id": UNKNOWN, "name": "TLP:RED",
         "object_marking_refs": [green]},
        {"type": "marking-definition", "id": UNKNOWN, "definition_type": "tlp",
         "definition": {"tlp": "amber"}},
        {"type": "marking-definition", "id": UNKNOWN, "extensions": {
            TLP2_EXTENSION_ID: {"tlp_2_0": "clear"}}, "object_marking_refs": [amber]},
        {"type": "marking-definition", "id": UNKNOWN, "object_marking_refs": [green]},
    ]
    return objects


def test_batch_levels_are_effective_tlp() -> None:
    objects = _objects()
    declared = declared_levels(objects)
    rng = random.Random(15)
    for default in (Tlp.CLEAR, Tlp.AMBER):
        for _ in range(20):
            shuffled = rng.sample(objects, len(objects))
            levels = BatchTlp(default, declared)
            assert [levels(obj) for obj in shuffled] == \
                [effective_tlp(obj, default, declared) for obj in shuffled]
    assert BatchTlp(Tlp.GREEN)(objects[5]) == Tlp.GREEN  # a partner's level needs `declared`
