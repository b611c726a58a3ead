"""A seeded corpus of STIX 2.1 objects for the fast-validation differential test.

Base objects come from ``stix2-generator`` (every STIX 2.1 SDO, SRO, SCO and marking type it
knows, with optional properties at random), plus hand-written language-content and
extension-definition objects, which it does not generate. Each base object then yields
systematic mutations: every property removed, nulled and emptied; custom properties with good
and bad names and the names that collide with stix2's constructor parameters; extensions of
every kind; timestamp, identifier and reference variants; bad patterns; and a seeded sample of
(property path, replacement value) pairs from a palette of wrong types and edge values, nested
paths (external references, kill chain phases, hashes) included.
"""

from __future__ import annotations

import copy
import random
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import faker

with warnings.catch_warnings():
    # lark (stix2-generator's parser) imports the deprecated sre_parse and sre_constants
    # modules; only those imports' DeprecationWarnings are silenced, nothing the code under
    # test does.
    warnings.filterwarnings("ignore", "module 'sre_.*' is deprecated", DeprecationWarning)
    import stix2generator
    from stix2generator.generation.object_generator import Config

GENERATED_TYPES = (
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
    "relationship", "sighting", "marking-definition", "artifact", "autonomous-system",
    "directory", "domain-name", "email-addr", "email-message", "file", "ipv4-addr",
    "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
    "user-account", "windows-registry-key", "x509-certificate",
)
_UUID = "0b9cfdb9-4d1f-4c7a-9a39-6a4b5a1d2e3f"
_SHA256 = "a" * 64
_STAMP = "2024-03-01T10:00:00.000Z"


def _ids(kind: str) -> list[str]:
    return [f"{kind}--{_UUID}", f"{kind}--{_UUID.upper()}", f"{kind}--{{{_UUID}}}",
            f"{kind}--urn:uuid:{_UUID}", f"{kind}--{_UUID.replace('-', '')}",
            f"{kind}--{_UUID[:19]}c{_UUID[20:]}", f"{kind}--{_UUID[:19]}7{_UUID[20:]}",
            f"{kind}--not-a-uuid", f"{kind}-{_UUID}", f"{kind}--{_UUID}--x", f"--{_UUID}"]


TIMESTAMPS = [
    "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.1Z", "2024-03-01T10:00:00.123456Z",
    "2024-03-01T10:00:00.1234567Z", "2024-03-01T10:00:00.Z", "2024-03-01t10:00:00z",
    "2024-03-01T10:00:00+00:00", "2024-03-01T10:00:00", "2024-02-30T10:00:00Z",
    "2024-3-1T10:00:00Z", "2024-03-01T24:00:00Z", "2024-03-01T10:00:60Z", "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z", "2099-01-01T00:00:00.000Z",
    " 2024-03-01T10:00:00Z", "2024-03-01 10:00:00Z", "2024-03-01",
]
PATTERNS = [
    "[ipv4-addr:value = '10.0.0.1']", "[ipv4-addr:value = '10.0.0.1'", "[bogus]",
    "[file:hashes.'SHA-256' = 'zz']", f"[file:hashes.'SHA-256' = '{_SHA256}']",
    "[x-custom:prop = 1] AND [ipv4-addr:value = 'a']", "[url:value = 'a'] WITHIN 5 SECONDS",
    "[network-traffic:src_port > 'a']", "(((((([ipv4-addr:value = '1']))))))",
]
PALETTE: list[Any] = [
    None, [], {}, "", "text", 0, -1, 1, 2 ** 40, 65536, 1.5, -0.5, 91.0, True, False, "true",
    "1", "t", ["x"], [1], [None], [[]], [{}], {"a": 1}, {"bad key!": 1}, {"k" * 251: 1},
    {"MD5": "x"}, {"SHA-256": _SHA256}, {"sha256": _SHA256}, {"SHA-256": "zz"},
    {"x-custom-hash": "abc"}, "deadbeef", "abc", "aGVsbG8=", "!!!", "stix", "is_family",
    [{"source_name": "s", "url": "u"}], [{"source_name": "s"}],
    [{"kill_chain_name": "k", "phase_name": "p"}], [{"kill_chain_name": "k"}],
    [{"marking_ref": f"marking-definition--{_UUID}", "selectors": ["name"]}],
    [{"lang": "en", "selectors": ["description"]}],
    [{"lang": "en", "marking_ref": f"marking-definition--{_UUID}", "selectors": ["name"]}],
    [{"marking_ref": f"marking-definition--{_UUID}", "selectors": ["nonexistent"]}],
    *TIMESTAMPS[:6], *PATTERNS[:3],
    *(f"{kind}--{_UUID}" for kind in ("identity", "indicator", "marking-definition", "file",
                                       "ipv4-addr", "x-custom", "relationship", "bundle",
                                       "email-addr", "network-traffic", "location")),
    *_ids("identity")[1:],
    [f"marking-definition--{_UUID}"], [f"identity--{_UUID}"], [f"file--{_UUID}", "bad"],
]
CUSTOM: list[dict[str, Any]] = [
    {"x_custom": "v"}, {"x_custom": None}, {"custom_field": {"a": [1]}}, {"X_upper": 1},
    {"_under": 1}, {"1digit": 1}, {"": 1}, {"allow_custom": True}, {"interoperability": 1},
    {"self": 1}, {"custom_properties": {"x_a": 1}}, {"custom_properties": "no"},
    {"_valid_refs": []}, {"a" * 300: 1}, {"é_accent": 1}, {"x_null_bad": None, "Bad": None},
]
EXTENSIONS: list[Any] = [
    {}, [], "text", {f"extension-definition--{_UUID}": {"extension_type": "property-extension",
                                                         "rank": 5}},
    {f"extension-definition--{_UUID}": {"extension_type": "toplevel-property-extension"}},
    {f"extension-definition--{_UUID}": {"extension_type": "new-sdo"}},
    {"extension-definition--bad": {"extension_type": "property-extension"}},
    {"x-custom-ext": {"a": 1}}, {"archive-ext": {"contains_refs": [f"file--{_UUID}"]}},
    {"archive-ext": {}}, {"ntfs-ext": {"sid": "s"}}, {"unix-account-ext": {"gid": 1}},
    {"http-request-ext": {"request_method": "get", "request_value": "/"}},
    {"windows-process-ext": {"aslr_enabled": True}}, {"socket-ext": {"address_family": "x"}},
]


def _language_content() -> dict[str, Any]:
    return {"type": "language-content", "spec_version": "2.1", "id": f"language-content--{_UUID}",
            "created": _STAMP, "modified": _STAMP, "object_ref": f"indicator--{_UUID}",
            "object_modified": _STAMP, "contents": {"de": {"name": "Name"}}}


def _extension_definition() -> dict[str, Any]:
    return {"type": "extension-definition", "spec_version": "2.1",
            "id": f"extension-definition--{_UUID}", "created": _STAMP, "modified": _STAMP,
            "created_by_ref": f"identity--{_UUID}", "name": "ext", "schema": "https://x",
            "version": "1.0", "extension_types": ["property-extension"]}


def base_objects(per_type: int, seed: int) -> Iterator[dict[str, Any]]:
    """``per_type`` generated objects of each type, reproducible from ``seed``."""
    random.seed(seed)
    faker.Faker.seed(seed)
    generator = stix2generator.create_object_generator(
        Config(optional_property_probability=0.6, minimize_ref_properties=False))
    for _ in range(per_type):
        for kind in GENERATED_TYPES:
            obj = generator.generate(kind)
            obj.setdefault("spec_version", "2.1")  # SCOs may omit it; the hub requires it
            yield obj
        yield _language_content()
        yield _extension_definition()


def _paths(obj: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Top-level names and one level of nesting (dicts, and the first dict of a list)."""
    paths: list[tuple[Any, ...]] = []
    for key, value in obj.items():
        paths.append((key,))
        if isinstance(value, dict):
            paths.extend((key, sub) for sub in value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            paths.extend((key, 0, sub) for sub in value[0])
    return paths


def _replaced(obj: dict[str, Any], path: tuple[Any, ...], value: Any,
              delete: bool = False) -> dict[str, Any]:
    mutated = copy.deepcopy(obj)
    node: Any = mutated
    for step in path[:-1]:
        node = node[step]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return mutated


def mutations(obj: dict[str, Any], rng: random.Random, sampled: int
              ) -> Iterator[dict[str, Any]]:
    """Systematic variants of ``obj`` plus ``sampled`` random (path, palette value) ones."""
    paths = _paths(obj)
    for path in paths:
        yield _replaced(obj, path, None, delete=True)
        yield _replaced(obj, path, None)
        yield _replaced(obj, path, [])
        yield _replaced(obj, path, "")
    for extra in CUSTOM:
        yield {**obj, **extra}
    for extensions in EXTENSIONS:
        yield {**obj, "extensions": extensions}
    kind = str(obj.get("type"))
    for stix_id in _ids(kind) + _ids("indicator"):
        yield {**obj, "id": stix_id}
    for name, value in obj.items():
        if isinstance(value, str) and value[:2] in ("19", "20") and value.endswith("Z"):
            for stamp in TIMESTAMPS:
                yield {**obj, name: stamp}
        if isinstance(value, str) and "--" in value and name != "id":
            for ref in _ids(value.partition("--")[0])[1:] + _ids("relationship")[:1]:
                yield {**obj, name: ref}
    if kind == "indicator":
        for pattern in PATTERNS:
            for pattern_type in ("stix", "snort"):
                yield {**obj, "pattern": pattern, "pattern_type": pattern_type}
    for _ in range(sampled):
        path = rng.choice(paths)
        yield _replaced(obj, path, rng.choice(PALETTE))
    yield {**obj, "id": f"{kind}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"}
