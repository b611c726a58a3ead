"""TLP 2.0 as access control (ARCHITECTURE rule 3).

Every read path (TAXII, API, UI, exports, feed push) asks :func:`may_read` the same question,
so there is exactly one place where the sharing rules live.

Marking ids: STIX 2.1 built-in TLP 1.0 (section 7.2.1.4), the OASIS TLP 2.0 extension
(``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``) and OpenCTI's AMBER+STRICT.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class Tlp(enum.StrEnum):
    """Traffic Light Protocol 2.0 levels, ordered from least to most restrictive."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def label(self) -> str:
        """The name people read: ``TLP:AMBER+STRICT``."""
        return f"TLP:{self.value.upper()}"

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Tlp):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Tlp):
            return NotImplemented
        return self.rank < other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Tlp):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Tlp):
            return NotImplemented
        return self.rank > other.rank

    @classmethod
    def parse(cls, text: str) -> Tlp:
        """Read ``amber``, ``TLP:AMBER``, ``white`` (TLP 1.0) and friends; raise ValueError."""
        value = text.strip().lower().removeprefix("tlp:").replace("_", "+").replace(" ", "")
        if value == "white":
            return cls.CLEAR
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"unknown TLP level {text!r}: use clear, green, amber, amber+strict or red"
            ) from None


_ORDER = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP2_MARKING_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

TLP1_MARKING_IDS: dict[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}

OPENCTI_AMBER_STRICT_ID = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"

MARKING_ID_TO_TLP: dict[str, Tlp] = {
    **{marking_id: level for level, marking_id in TLP2_MARKING_IDS.items()},
    **TLP1_MARKING_IDS,
    OPENCTI_AMBER_STRICT_ID: Tlp.AMBER_STRICT,
}


def tlp_of_marking(marking_id: str) -> Tlp | None:
    """The TLP level a marking-definition id stands for, or None if it is not a TLP marking."""
    return MARKING_ID_TO_TLP.get(marking_id)


def effective_tlp(obj: Mapping[str, Any], default: Tlp) -> Tlp:
    """The most restrictive TLP marking in ``object_marking_refs``; ``default`` if unmarked.

    A TLP marking-definition object itself is always CLEAR: it is public vocabulary.
    """
    if obj.get("type") == "marking-definition" and obj.get("id") in MARKING_ID_TO_TLP:
        return Tlp.CLEAR
    refs = obj.get("object_marking_refs") or ()
    levels = [level for ref in refs if isinstance(ref, str) and (level := tlp_of_marking(ref))]
    return max(levels, key=lambda level: level.rank) if levels else default


def marking_ref(level: Tlp) -> str:
    """The OASIS TLP 2.0 marking id Accord emits for ``level``."""
    return TLP2_MARKING_IDS[level]


def marking_definition(level: Tlp) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object for ``level`` (to ship in bundles)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": level.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.value}
        },
    }


@dataclass(frozen=True)
class ReadAccess:
    """What one reader may see in one collection: the inputs of the TLP policy."""

    team_id: Any
    max_tlp: Tlp
    is_service: bool = False


def may_read(access: ReadAccess, level: Tlp, source_team_id: Any) -> bool:
    """The one sharing rule every read path applies.

    - The source team always sees what it shared (except service accounts and RED).
    - RED goes only to the source team and to teams whose grant names RED explicitly, and
      never to service accounts, since automation must not move RED (rule 3).
    - Everything else goes to readers whose grant reaches that level.
    """
    if level == Tlp.RED and access.is_service:
        return False
    if access.team_id == source_team_id:
        return True
    return level <= access.max_tlp


def readable_levels(access: ReadAccess) -> list[Tlp]:
    """Levels a reader may see from *other* teams; used to filter in SQL."""
    return [level for level in _ORDER if may_read(access, level, source_team_id=object())]


def most_restrictive(levels: Iterable[Tlp]) -> Tlp | None:
    """The most restrictive of ``levels``, or None for none."""
    return max(levels, key=lambda level: level.rank, default=None)
