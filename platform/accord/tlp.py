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

STANDARD_IDS: dict[str, Tlp] = {
    **{marking_id: level for level, marking_id in TLP2_MARKING_IDS.items()},
    **TLP1_MARKING_IDS,
}

OPENCTI_AMBER_STRICT_ID = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"

MARKING_ID_TO_TLP: dict[str, Tlp] = {
    **{marking_id: level for level, marking_id in TLP2_MARKING_IDS.items()},
    **TLP1_MARKING_IDS,
    OPENCTI_AMBER_STRICT_ID: Tlp.AMBER_STRICT,
}


def tlp_of_marking(marking_id: str, declared: Mapping[str, Tlp] | None = None) -> Tlp | None:
    """The TLP level a marking-definition id stands for, or None if it is not a TLP marking.

    Ids are compared without case or surrounding spaces; ``declared`` adds the levels that
    other marking-definitions (a partner's own "TLP:RED" definition) declare, by lower-case id.
    """
    key = marking_id.strip().lower()
    level = MARKING_ID_TO_TLP.get(key)
    if level is None and declared:
        level = declared.get(key)
    return level


def declared_tlp(definition: Mapping[str, Any]) -> Tlp | None:
    """The TLP level a marking-definition object declares, or None.

    A definition declares a level by its id (TLP 1.0, TLP 2.0, OpenCTI), by STIX 2.1's
    ``definition_type`` ``tlp`` (section 7.2.1.3), by the OASIS TLP 2.0 extension's ``tlp_2_0``,
    or by a ``name`` such as ``TLP:RED``; the most restrictive of these counts.
    """
    if definition.get("type") != "marking-definition":
        return None
    levels: list[Tlp] = []
    stix_id = definition.get("id")
    if isinstance(stix_id, str) and (known := tlp_of_marking(stix_id)) is not None:
        levels.append(known)
    body = definition.get("definition")
    name = definition.get("name")
    named = isinstance(name, str) and name.strip().lower().startswith("tlp:")
    texts: list[Any] = [name] if named else []
    if str(definition.get("definition_type", "")).strip().lower() == "tlp" and \
            isinstance(body, Mapping):
        texts.append(body.get("tlp"))
    extensions = definition.get("extensions")
    if isinstance(extensions, Mapping) and isinstance(extensions.get(TLP2_EXTENSION_ID), Mapping):
        texts.append(extensions[TLP2_EXTENSION_ID].get("tlp_2_0"))
    for text in texts:
        if isinstance(text, str):
            try:
                levels.append(Tlp.parse(text))
            except ValueError:
                continue
    return most_restrictive(levels)


def declared_levels(objects: Iterable[Any]) -> dict[str, Tlp]:
    """The TLP levels the marking-definitions among ``objects`` declare, by lower-case id."""
    declared: dict[str, Tlp] = {}
    for obj in objects:
        if isinstance(obj, Mapping) and isinstance(obj.get("id"), str) and \
                (level := declared_tlp(obj)) is not None:
            key = obj["id"].strip().lower()
            declared[key] = max(level, declared.get(key, level), key=lambda tlp: tlp.rank)
    return declared


def marking_refs(obj: Mapping[str, Any]) -> list[str]:
    """Every marking ref of an object: ``object_marking_refs`` and granular markings on any
    selector (STIX 2.1 sections 7.2.2 and 7.2.3)."""
    refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
    granular = obj.get("granular_markings") or ()
    if isinstance(granular, list):
        refs += [item["marking_ref"] for item in granular
                 if isinstance(item, Mapping) and isinstance(item.get("marking_ref"), str)]
    return refs


def is_tlp_vocabulary(obj: Mapping[str, Any]) -> bool:
    """A marking-definition that declares a TLP level: public vocabulary, itself CLEAR."""
    return declared_tlp(obj) is not None and not marking_refs(obj)


def effective_tlp(obj: Mapping[str, Any], default: Tlp,
                  declared: Mapping[str, Tlp] | None = None) -> Tlp:
    """The most restrictive TLP of an object's object-level and granular markings (any
    selector, any recognised id, any definition in ``declared``); ``default`` if it has none.

    A marking-definition that declares a TLP level is itself CLEAR: it is public vocabulary.
    """
    if is_tlp_vocabulary(obj):
        return Tlp.CLEAR
    levels = [level for ref in marking_refs(obj) if (level := tlp_of_marking(ref, declared))]
    return most_restrictive(levels) or default


class BatchTlp:
    """:func:`effective_tlp` for the objects of one batch (fixed ``default`` and ``declared``).

    For any object but a marking-definition the level depends only on its marking refs, and a
    batch's objects mostly share a few lists of refs: each distinct list is decided once.
    """

    def __init__(self, default: Tlp, declared: Mapping[str, Tlp] | None = None) -> None:
        self.default, self.declared = default, declared
        self._levels: dict[tuple[str, ...], Tlp] = {}

    def __call__(self, obj: Mapping[str, Any]) -> Tlp:
        if obj.get("type") == "marking-definition":  # its own id and definition count too
            return effective_tlp(obj, self.default, self.declared)
        refs = tuple(marking_refs(obj))
        level = self._levels.get(refs)
        if level is None:
            level = self._levels[refs] = effective_tlp(obj, self.default, self.declared)
        return level


def stated_tlp(obj: Mapping[str, Any]) -> Tlp | None:
    """The level an object states at object level with ids every TLP-aware peer knows: the
    STIX 2.1 TLP 1.0 and OASIS TLP 2.0 ids, exactly as written (not OpenCTI's own id)."""
    return most_restrictive(level for ref in obj.get("object_marking_refs") or ()
                            if isinstance(ref, str) and (level := STANDARD_IDS.get(ref)))


def stamp(obj: Mapping[str, Any], level: Tlp) -> dict[str, Any] | None:
    """A copy of ``obj`` that states ``level`` at object level, or None if it already does.

    Every outbound copy carries its effective TLP this way (a documented normalisation): an
    unmarked object takes its collection's default, a granular or partner-defined level is
    lifted to the object, so the next hop can never file it lower (rule 3).
    """
    if obj.get("type") == "marking-definition" or stated_tlp(obj) == level:
        return None
    refs = [ref for ref in obj.get("object_marking_refs") or () if isinstance(ref, str)]
    return {**obj, "object_marking_refs": [*refs, marking_ref(level)]}


def accepts(level: Tlp, allows_red: bool) -> bool:
    """The one "RED only where allowed" rule: RED only in collections created to hold it."""
    return level != Tlp.RED or allows_red


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
    - AMBER+STRICT of another team goes only to people whose grant reaches it, never to
      service accounts: automation (a remote hub's pull, a connector) would re-serve it
      outside the team it was shared with.
    - Everything else goes to readers whose grant reaches that level.
    """
    if level == Tlp.RED and access.is_service:
        return False
    if access.team_id == source_team_id:
        return True
    if level == Tlp.AMBER_STRICT and access.is_service:
        return False
    return level <= access.max_tlp


def may_sync(level: Tlp, ceiling: Tlp, *, own: bool) -> bool:
    """Whether a feed may move an object of ``level`` between hubs (pull or push).

    Derived from :func:`may_read`: a feed is automation reading on behalf of the other side,
    capped by its ``ceiling`` (the feed's max TLP). So RED never moves, AMBER+STRICT moves only
    as the sending team's own (``own``), and nothing above the ceiling moves.
    """
    us, them = object(), object()
    access = ReadAccess(team_id=us, max_tlp=ceiling, is_service=True)
    return level <= ceiling and may_read(access, level, us if own else them)


def sync_ceilings(*, own: bool) -> list[Tlp]:
    """The max TLP settings a feed may have: levels it could ever move (:func:`may_sync`)."""
    return [level for level in _ORDER if may_sync(level, level, own=own)]


def readable_levels(access: ReadAccess) -> list[Tlp]:
    """Levels a reader may see from *other* teams; used to filter in SQL."""
    return [level for level in _ORDER if may_read(access, level, source_team_id=object())]


def most_restrictive(levels: Iterable[Tlp]) -> Tlp | None:
    """The most restrictive of ``levels``, or None for none."""
    return max(levels, key=lambda level: level.rank, default=None)
