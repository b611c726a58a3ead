"""Per-type check plans compiled from ``stix2``'s own STIX 2.1 class declarations.

For each registered STIX 2.1 object and observable class, the plan maps every declared property
to a leaf check (see ``leaves``), lists the required ones and the ones ``stix2`` fills with a
default, and carries the class's inter-property constraint (see ``constraints``). A class whose
``__init__`` or ``_check_object_constraints`` this package does not model gets no plan, nor does
a property kind it does not model (its check declines), so what is new or unknown is judged by
``stix2`` rather than guessed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stix2 import properties as sp
from stix2 import registry
from stix2.base import _STIXBase
from stix2.v21 import base as v21base
from stix2.v21 import common

from accord.sharing.stixcheck import constraints, leaves
from accord.sharing.stixcheck.leaves import DECLINE, Check

# Keyword names that collide with the parameters of stix2's constructors: such a "custom
# property" makes ``cls(**obj)`` fail, so stix2 judges it.
RESERVED = frozenset({"self", "allow_custom", "interoperability", "custom_properties",
                      "extensions"})
# Classes whose own __init__ changes nothing this package's verdict depends on (positional
# aliases, Indicator's pattern_version default); ObservedData warns on ``objects``, which has no
# check here, so an object carrying it is declined.
_INIT_HARMLESS = frozenset({"Indicator", "Relationship", "Sighting", "ObservedData"})
# Named parameters of those __init__s: stix2 passes a value on only when it is truthy, so an
# empty relationship_type is a missing one.
_FALSY_DROPPED = {"Relationship": frozenset({"source_ref", "relationship_type", "target_ref"}),
                  "Sighting": frozenset({"sighting_of_ref"})}
_BASES = (v21base._DomainObject, v21base._RelationshipObject, v21base._Observable,
          v21base._STIXBase21)
# Embedded types (lists of them on SDOs) that get a plan; others, such as granular markings
# whose selectors are checked against the whole object, are declined.
_EMBEDDED = (common.ExternalReference, common.KillChainPhase)


@dataclass(frozen=True)
class Plan:
    """How to judge one STIX type, or one embedded type, without building a stix2 object."""

    name: str
    checks: Mapping[str, Check]
    required: frozenset[str]
    defaulted: frozenset[str]
    declared: frozenset[str]
    observable: bool
    falsy_dropped: frozenset[str]
    constraint: Callable[[dict[str, Any], Plan], bool]


def _decline(_value: Any) -> Any:
    return DECLINE


def _list_check(inner: Check) -> Check:
    """stix2 takes any iterable (a string as a one-item list); only a JSON array is taken here."""

    def check(value: Any) -> Any:
        if type(value) is not list:
            return DECLINE
        cleaned = [inner(item) for item in value]
        return DECLINE if any(item is DECLINE for item in cleaned) else cleaned
    return check


def _embedded_check(plan: Plan) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not dict:
            return DECLINE
        judged = judge(plan, value)
        return DECLINE if judged is None else judged
    return check


def _leaf(prop: Any) -> Check:
    """The check for one declared property; ``_decline`` for kinds not modelled."""
    if hasattr(prop, "_fixed_value"):
        return leaves.fixed_check(prop._fixed_value)
    exact = {
        sp.IDProperty: leaves.id_check, sp.ReferenceProperty: leaves.reference_check,
        sp.TimestampProperty: leaves.timestamp_check, sp.EnumProperty: leaves.enum_check,
    }
    kind = type(prop)
    if kind in exact:
        return exact[kind](prop)
    if kind in (sp.StringProperty, sp.OpenVocabProperty, sp.PatternProperty):
        return leaves.string_check
    if kind is sp.BooleanProperty:
        return leaves.boolean_check
    if kind is sp.IntegerProperty:
        return leaves.number_check(prop, (int,))
    if kind is sp.FloatProperty:
        return leaves.number_check(prop, (int, float))
    if kind in (sp.DictionaryProperty, sp.HashesProperty):
        return leaves.delegated_check(prop, dict)
    if kind in (sp.HexProperty, sp.BinaryProperty):
        return leaves.delegated_check(prop, str)
    if kind is sp.ListProperty:
        contained = prop.contained
        if isinstance(contained, sp.Property):
            return _list_check(_leaf(contained))
        if inspect.isclass(contained) and contained in _EMBEDDED:
            return _list_check(_embedded_check(_compile(contained)))
    return _decline


def _compile(cls: type[_STIXBase]) -> Plan:
    props: Mapping[str, Any] = cls._properties
    return Plan(
        name=cls.__name__,
        checks={name: _leaf(prop) for name, prop in props.items()},
        required=frozenset(name for name, prop in props.items() if prop.required),
        defaulted=frozenset(name for name, prop in props.items() if hasattr(prop, "default")),
        declared=frozenset(props),
        observable=issubclass(cls, v21base._Observable),
        falsy_dropped=_FALSY_DROPPED.get(cls.__name__, frozenset()),
        constraint=constraints.FOR_CLASS.get(cls.__name__, constraints.none),
    )


def _modelled(cls: type) -> bool:
    """Only classes whose construction this package reproduces get a plan."""
    if not issubclass(cls, _BASES):
        return False
    if "__init__" in cls.__dict__ and cls.__name__ not in _INIT_HARMLESS:
        return False
    return "_check_object_constraints" not in cls.__dict__ or \
        cls.__name__ in constraints.FOR_CLASS


@lru_cache(maxsize=1)
def plans() -> dict[str, Plan]:
    """A plan per STIX 2.1 type that stix2 registers and this package models (built once)."""
    maps = registry.STIX2_OBJ_MAPS["2.1"]
    # parse() looks among objects first, then observables (stix2.parsing.dict_to_stix2).
    classes = {**maps["observables"], **maps["objects"]}
    return {kind: _compile(cls) for kind, cls in classes.items() if _modelled(cls)}


def judge(plan: Plan, obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The values stix2 would hold for ``obj`` if it surely accepts it, else None.

    Mirrors ``stix2.base._STIXBase.__init__`` with ``allow_custom=True``: a None or empty-list
    value counts as absent; undeclared names are custom properties, which must start with a
    lowercase letter (``PREFIX_21_REGEX``); required properties must be present; then the
    class's constraint runs over the present values.
    """
    present: dict[str, Any] = {}
    checks = plan.checks
    for name, value in obj.items():
        check = checks.get(name)
        if check is None and (name in RESERVED or not "a" <= name[:1] <= "z"):
            return None  # stix2 checks custom names even when the value is null
        if value is None or (type(value) is list and not value) or \
                (not value and name in plan.falsy_dropped):
            continue
        if check is None:
            present[name] = value
            continue
        cleaned = check(value)
        if cleaned is DECLINE:
            return None
        present[name] = cleaned
    if not plan.required <= present.keys():
        return None
    return present if plan.constraint(present, plan) else None
