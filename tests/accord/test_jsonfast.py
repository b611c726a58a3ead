"""orjson where it equals json (accord.jsonfast, issue 15): stored text and parsed bodies.

The stored document text must stay ``json.dumps(obj, separators=(",", ":"),
ensure_ascii=False)`` and a parsed envelope must be ``json.loads``'s value (hooks of
accord.jsonbody included), so each is held to ``json`` on a STIX corpus (generated objects of
every type and their mutations) and on hand-made edge cases: unicode, escapes, control
characters, floats, big integers, non-string keys, lone surrogates, deep nesting.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

from accord import jsonbody, jsonfast
from tests.accord.stixcorpus import base_objects, mutations

SEED = 20261203


def _reference_text(value: Any) -> str | type[BaseException]:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc)


def _fast_text(value: Any) -> str | type[BaseException]:
    try:
        return jsonfast.compact(value)
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc)


def _indicator(**extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-05-01T00:00:00.000Z", "modified": "2026-05-01T00:00:00.000Z",
            "pattern_type": "stix", "pattern": "[ipv4-addr:value = '10.0.0.1']",
            "valid_from": "2026-05-01T00:00:00Z", **extra}


EDGE_CASES: list[Any] = [
    _indicator(name="Zürich \u2028 \u2029 \u00a0 日本語 😀 \x7f \U0010ffff"),
    _indicator(description="".join(chr(code) for code in range(0x20)) + '"\\/\'<>&'),
    _indicator(confidence=100, x_score=0.1, x_big=1e16, x_small=1e-05, x_tiny=1e-7,
               x_neg=-0.0, x_exp=1.5e300, x_int_float=100.0),
    _indicator(x_nan=math.nan),
    _indicator(x_inf=math.inf),
    _indicator(x_huge=2 ** 64, x_negative=-(2 ** 63) - 1, x_edge=2 ** 64 - 1, x_min=-(2 ** 63)),
    _indicator(extensions={"extension-definition--1a3f2f1b-2b0a-4a21-a9a3-0b7c1c5e5f11": {
        "extension_type": "property-extension", "nested": {"deeper": [[{"a": [1, True, None]}]],
                                                          "": "", "ключ": "значение"}}}),
    _indicator(x_surrogate="\ud800"),
    {1: "a non-string key", "b": 2},
    {(1, 2): "a tuple key"},
    {"tuple": (1, "a")},
    _indicator(labels=["a", "b"], granular_markings=[{"selectors": ["name"],
                                                      "marking_ref": "marking-definition--x"}]),
    [],
    {},
    [_indicator(), _indicator(name="second")],
]


def test_compact_text_is_json_text_for_edge_cases() -> None:
    for value in EDGE_CASES:
        assert _fast_text(value) == _reference_text(value), value


def test_compact_text_is_json_text_for_a_stix_corpus() -> None:
    rng = random.Random(SEED)
    checked = 0
    for obj in base_objects(1, SEED):
        for variant in [obj, *mutations(obj, rng, 10)]:
            assert _fast_text(variant) == _reference_text(variant)
            checked += 1
    assert checked > 500


def test_compact_text_of_nesting_beyond_orjson() -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"a": [deep]}
    assert _fast_text(deep) == _reference_text(deep)


def _hub_loads(raw: bytes, strict: bool) -> Any:
    return jsonbody.loads(raw, strict=strict)


def _reference_loads(raw: bytes, strict: bool) -> Any:
    return json.loads(raw, parse_constant=jsonbody._constant, parse_float=jsonbody._float,
                      parse_int=jsonbody._int if strict else None)


def _outcome(call: Any, raw: bytes, strict: bool) -> Any:
    try:
        value = call(raw, strict)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        return type(exc)
    return ("value", json.dumps(value, ensure_ascii=True), _types(value))


def _types(value: Any) -> list[str]:
    """Every value's type in document order (1 and 1.0 compare equal; their types do not)."""
    if isinstance(value, dict):
        return ["dict", *[kind for key, item in value.items()
                          for kind in (type(key).__name__, *_types(item))]]
    if isinstance(value, list):
        return ["list", *[kind for item in value for kind in _types(item)]]
    return [type(value).__name__]


BODIES: list[bytes] = [
    b'{"objects": []}', b' {"a": 1} ', b'{"a":1,"a":2}', b"[1e5, 1E2, 1.0e+2, -0, -0.0, 0.1]",
    b"[12345678901234567, 123456789012345678]", b"[1234567890123456789]",
    b"[12345678901234567890123]", b"[-9223372036854775809]", b"[18446744073709551615]",
    b"[1e400]", b"[-1e400]", b"[NaN]", b"[Infinity]", b"[-Infinity]",
    b'["\\ud800"]', b'["\\ud83d\\ude00"]', b'["\\u0000"]', b'["a\x00b"]', b'["a\tb"]',
    "[\"Zürich 日本語 😀\"]".encode(), b"\xef\xbb\xbf[1]", "[1]".encode("utf-16"),
    b'["\xff"]', b"[1] x", b"[1,]", b"[01]", b"[.5]", b"", b"   ",
    b"0.1000000000000000055511151231257827", b"[5e-324, 1.7976931348623157e308]",
    ("1" * 101).encode(), b"[" + b"1" * 101 + b"]",
    b"[" * 199 + b"]" * 199, b"[" * 200 + b"]" * 200, b"[" * 201 + b"]" * 201,
    b"[" * 1000 + b"]" * 1000, b"[" * 1100 + b"]" * 1100,
]


@pytest.mark.parametrize("strict", [True, False])
def test_loads_is_json_loads(strict: bool) -> None:
    rng = random.Random(SEED)
    floats = [f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 17)}f}".encode()
              for _ in range(300)] + [repr(rng.random() * 10.0 ** rng.randint(-300, 300)).encode()
                                      for _ in range(300)]
    for raw in BODIES + floats:
        assert _outcome(_hub_loads, raw, strict) == _outcome(_reference_loads, raw, strict), \
            raw[:80]


def test_loads_is_json_loads_for_a_stix_corpus() -> None:
    rng = random.Random(SEED)
    fast = total = 0
    for obj in base_objects(1, SEED):
        for variant in [obj, *mutations(obj, rng, 5)]:
            try:
                raw = json.dumps({"objects": [variant]}).encode()
            except ValueError:  # NaN and the like cannot be written (json.dumps would)
                continue
            assert _outcome(_hub_loads, raw, False) == _outcome(_reference_loads, raw, False)
            total += 1
            fast += jsonfast.parsed(jsonfast.loads(raw))
    assert fast > total * 0.9  # most go through orjson


def test_orjson_declines_what_it_would_parse_differently() -> None:
    assert not jsonfast.parsed(jsonfast.loads(b"[12345678901234567890123]"))  # a float in orjson
    assert not jsonfast.parsed(jsonfast.loads(b"[" * 900 + b"]" * 900))  # json recurses too deep
    assert jsonfast.parsed(jsonfast.loads(b"[123456789012345678]"))
