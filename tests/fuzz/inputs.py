"""The hostile inputs of issue 12, as seeded generators: each function takes a ``random.Random``.

Classes: malformed JSON, deep nesting, lone surrogates, NUL bytes, huge numbers, inf/nan, far
dates, unknown ids, wrong media types, oversized bodies, bad YAML and YAML alias bombs, plus STIX
objects the pattern validator chokes on. Every URL-like value is a loopback address, so nothing
the fuzz makes the hub fetch (feeds, webhooks) leaves the machine.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

LOOPBACK_URL = "http://127.0.0.1:9/taxii2/api/collections/x/"  # port 9: refused at once

ODD_TEXT = [
    "", " ", "x" * 5000, "\x00", "a\x00b", "inf", "-inf", "nan", "NaN", "Infinity", "-1", "0",
    "1e9", "1e308", "1e309", "-1e309", "1" + "0" * 400, "²", "٣", "1.5", "true", "null", "[]",
    "{}", "9999-12-31", "0001-01-01", "99999-01-01", "2026-02-30", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00", "10000-01-01T00:00:00Z", "P99999999999D", "PT1e9S",
    "D+999999999999", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --",
    "🦠\u202e", "red", "amber+strict", "TLP:CLEAR", "admin", "coordinator", "on", "yes",
    "Europe/Nowhere", "UTC", LOOPBACK_URL, "indicator--" + "0" * 36, "a" * 300, "%00", "%",
]

_JSON_SPECIAL = [
    "NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1e308", "1" + "0" * 5000,
    '"\\ud800"', '"\\udfff tail"', '"a\\u0000b"', "[" * 70 + "]" * 70,
    "[" * 3000 + "]" * 3000, '{"a":' * 200 + "1" + "}" * 200, "true", "null", "0", "-1",
    '"9999-12-31T23:59:59Z"', '"0001-01-01T00:00:00+01:00"', "[]", "{}", '"P99999999999D"',
]

MALFORMED_JSON = ["{", '{"a":', "[1,2", '{"a" 1}', "{'a': 1}", "tru", '{"a":1,}', "\ufeff{}",
                  '{"objects": [}', "", " ", "\x00", "{}" * 3, '"\\ud800"', "NaN"]

BAD_YAML = ["a: [", "\t- x", "a: b: c", "!!python/object/apply:os.system ['true']",
            "--- !!binary |\n  ////\n", "%YAML 9.9\n---\na: 1", "a: &x\nb: *y", "- [" * 500,
            "a: \"\\ud800\"", "a: \"\\0\"", "title: .nan\nversion: .inf", "? [1, 2]\n: x",
            "format: accord-exercise/1\ntitle: x\nversion: 1\ninjects: [{offset: P99999999999D}]"]


def alias_bomb(rng: random.Random) -> str:
    """The billion-laughs shape: each level repeats the previous one nine times."""
    levels = rng.randint(5, 9)
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    if rng.random() < 0.3:
        lines.append("loop: &loop [*loop]")
    return "\n".join(lines) + "\n"


def odd_text(rng: random.Random) -> str:
    return rng.choice(ODD_TEXT)


def json_fragment(rng: random.Random, depth: int = 0) -> str:
    """One JSON value as text, possibly one that strict JSON refuses."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_JSON_SPECIAL)
    if roll < 0.75 or depth > 2:
        return json.dumps(odd_text(rng))
    if roll < 0.87:
        return "[" + ",".join(json_fragment(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    return json_object(rng, ["name", "x", "url", "id"], depth + 1)


def json_object(rng: random.Random, keys: list[str], depth: int = 0) -> str:
    """A JSON object (as text) with some of ``keys`` and odd values."""
    chosen = rng.sample(keys, k=min(len(keys), rng.randint(0, 6)))
    return "{" + ",".join(f"{json.dumps(key)}:{json_fragment(rng, depth)}" for key in chosen) + "}"


def indicator(rng: random.Random, pattern: str | None = None) -> dict[str, Any]:
    """A valid STIX 2.1 indicator, or one with ``pattern``."""
    octet = rng.randrange(1, 255)
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "valid_from": "2026-01-01T00:00:00Z", "pattern_type": "stix",
            "pattern": pattern or f"[ipv4-addr:value = '198.51.100.{octet}']", "name": "fuzz"}


def stix_envelope(rng: random.Random) -> str:
    """A TAXII envelope of good and hostile objects (as text; may hold NaN, deep nesting...)."""
    nested = "(" * 500 + "[ipv4-addr:value = '1.2.3.4']" + ")" * 500
    parts = [json.dumps(indicator(rng)) for _ in range(rng.randint(0, 2))]
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(7)
        if kind == 0:
            parts.append(json.dumps(indicator(rng, rng.choice(["", " ", nested, "[", "(((("]))))
        elif kind == 1:
            base = json.dumps(indicator(rng))
            parts.append(base[:-1] + f',"x_odd":{json_fragment(rng)}' + "}")
        elif kind == 2:
            parts.append(json_object(rng, ["type", "id", "spec_version", "created", "pattern"]))
        elif kind == 3:
            obj = indicator(rng)
            obj[rng.choice(["id", "created", "modified", "valid_from", "type"])] = odd_text(rng)
            parts.append(json.dumps(obj))
        elif kind == 4:  # a hostile identifier, written as JSON escapes
            obj = indicator(rng)
            parts.append(json.dumps(obj).replace(json.dumps(obj["id"]), rng.choice(
                ['"indicator--\\ud800"', '"indicator--\\u0000"', '"\\udfff"', "NaN"])))
        else:
            parts.append(json_fragment(rng))
    return '{"objects":[' + ",".join(parts) + "]}"


def scenario_text(rng: random.Random) -> tuple[str, str]:
    """(text, format) of a hostile scenario file."""
    roll = rng.random()
    if roll < 0.35:
        return alias_bomb(rng), "yaml"
    if roll < 0.7:
        return rng.choice(BAD_YAML), "yaml"
    if roll < 0.85:
        return rng.choice(MALFORMED_JSON + _JSON_SPECIAL), "json"
    keys = ["format", "title", "version", "duration", "injects", "teams", "objectives"]
    return json_object(rng, keys), "json"


def unknown_id(rng: random.Random) -> str:
    return rng.choice([str(uuid.uuid4()), f"indicator--{uuid.uuid4()}", "nope", "..",
                       "x" * 400, "a\x00b", "%2e%2e", "🦠"])
