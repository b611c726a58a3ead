"""The inter-property constraints of stix2's STIX 2.1 classes, as predicates on present values.

One function per ``_check_object_constraints`` in ``stix2.v21`` (3.0.x) that this package
models; a class whose method is not listed in ``FOR_CLASS`` gets no fast plan. ``present``
holds the non-null values the object carries (timestamps as datetimes); names that stix2 fills
with a default count as present too, as in stix2 (``Plan.defaulted``). True means stix2 surely
accepts; False means "ask stix2", which then gives the verdict and its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.sharing.stixcheck.plans import Plan

Constraint = Callable[[dict[str, Any], "Plan"], bool]
_OBSERVABLE_EXEMPT = frozenset({"extensions", "type", "id", "defanged", "spec_version"})
_LEGAL_EXTERNAL_HASHES = frozenset({"MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256",
                                    "SHA3-512", "SSDEEP", "TLSH"})
_X509_ANY = ("is_self_signed", "hashes", "version", "serial_number", "signature_algorithm",
             "issuer", "validity_not_before", "validity_not_after", "subject",
             "subject_public_key_algorithm", "subject_public_key_modulus",
             "subject_public_key_exponent", "x509_v3_extensions")


def none(present: dict[str, Any], plan: Plan) -> bool:
    return True


def _any_of(present: dict[str, Any], plan: Plan, names: Iterable[str]) -> bool:
    """``_check_at_least_one_property(names)``."""
    return any(name in present or name in plan.defaulted for name in names)


def _ordered(first: str, last: str, strict: bool = False) -> Constraint:
    """``last`` not before ``first`` (strictly after when ``strict``), when both are given."""

    def check(present: dict[str, Any], plan: Plan) -> bool:
        if first not in present or last not in present:
            return True
        later: bool = (present[last] > present[first] if strict
                       else present[last] >= present[first])
        return later
    return check


_seen = _ordered("first_seen", "last_seen")
_valid = _ordered("valid_from", "valid_until", strict=True)
_observed = _ordered("first_observed", "last_observed")
_active = _ordered("start", "end")


def _indicator(present: dict[str, Any], plan: Plan) -> bool:
    # A STIX pattern is judged by the caller (validation.pattern_error, memoised); an indicator
    # still typed "stix" here was not, so stix2 judges it. valid_from defaults to "now".
    if present.get("pattern_type") == "stix":
        return False
    if "valid_until" in present and "valid_from" not in present:
        return False
    return _valid(present, plan)


def _location(present: dict[str, Any], plan: Plan) -> bool:
    latitude, longitude = "latitude" in present, "longitude" in present
    if latitude != longitude or ("precision" in present and not latitude):
        return False
    return latitude or "region" in present or "country" in present


def _malware(present: dict[str, Any], plan: Plan) -> bool:
    if present.get("is_family") is True and "name" not in present:
        return False
    return _seen(present, plan)


def _observed_data(present: dict[str, Any], plan: Plan) -> bool:
    # Exactly one of objects (declined earlier: no check) and object_refs.
    return "object_refs" in present and _observed(present, plan)


def _artifact(present: dict[str, Any], plan: Plan) -> bool:
    if ("payload_bin" in present) == ("url" in present):
        return False
    return "url" not in present or "hashes" in present


def _email_message(present: dict[str, Any], plan: Plan) -> bool:
    # body_multipart has no check here, so it is absent; a body needs is_multipart false.
    return not (present.get("is_multipart") is True and present.get("body"))


def _network_traffic(present: dict[str, Any], plan: Plan) -> bool:
    if "end" in present and present.get("is_active") is not False:
        return False
    return ("src_ref" in present or "dst_ref" in present) and _active(present, plan)


def _process(present: dict[str, Any], plan: Plan) -> bool:
    return _any_of(present, plan, plan.declared - _OBSERVABLE_EXEMPT)


def _external_reference(present: dict[str, Any], plan: Plan) -> bool:
    if not _any_of(present, plan, ("description", "external_id", "url")):
        return False
    return set(present.get("hashes", ())) <= _LEGAL_EXTERNAL_HASHES


FOR_CLASS: Mapping[str, Constraint] = MappingProxyType({
    "Campaign": _seen, "Infrastructure": _seen, "IntrusionSet": _seen, "ThreatActor": _seen,
    "Sighting": _seen, "Malware": _malware, "Indicator": _indicator, "Location": _location,
    "MalwareAnalysis": lambda present, plan: _any_of(present, plan,
                                                     ("result", "analysis_sco_refs")),
    "ObservedData": _observed_data,
    "Relationship": _ordered("start_time", "stop_time", strict=True),
    "Artifact": _artifact, "EmailMessage": _email_message, "File": lambda present, plan:
        _any_of(present, plan, ("hashes", "name")),
    "NetworkTraffic": _network_traffic, "Process": _process,
    "X509Certificate": lambda present, plan: _any_of(present, plan, _X509_ANY),
    "ExternalReference": _external_reference,
})
