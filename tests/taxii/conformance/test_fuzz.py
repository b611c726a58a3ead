"""A small seeded fuzz of add objects and the read filters: never a 500, nothing stored is
changed (ARCHITECTURE rules 1, 2 and 4; sections 3.4 and 5.5)."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import requests

from tests.taxii.conformance.conftest import Site
from tests.taxii.conftest import indicator
from tests.taxii.wire import TAXII

SEED = 20261201
ROUNDS = 300
CHECK_EVERY = 50
ODD_TEXT = ["", "x" * 10_000, "\u0000", "\ud800", "🦠\u202e", "2026-13-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00", "[ipv4-addr:value = '", "indicator--" + "0" * 36,
            "'; DROP TABLE stix_objects; --", "%s%n", "../../etc/passwd", "NaN"]
PARAMS = ["added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
          "match[spec_version]", "match[foo]", "match[", "foo"]


def odd_value(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, biased toward the shapes servers get wrong."""
    choice = rng.randrange(10 if depth < 3 else 7)
    simple: list[Any] = [None, True, rng.randint(-10**30, 10**30), rng.random() * 1e308,
                         rng.choice(ODD_TEXT), "".join(chr(rng.randrange(1, 0x10FFFF))
                                                       for _ in range(rng.randrange(20))), 0]
    if choice < 7:
        return simple[choice]
    if choice == 7:
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if choice == 8:
        return {rng.choice(ODD_TEXT[:5] + ["id", "type", "x_a"]): odd_value(rng, depth + 1)
                for _ in range(rng.randrange(4))}
    value: Any = "leaf"
    for _ in range(rng.choice([70, 500, 2000])):
        value = [value]
    return value


def mutate_tree(rng: random.Random, envelope: dict[str, Any]) -> None:
    """Change, drop or add one key somewhere in the envelope, in place."""
    node: Any = envelope
    while isinstance(node, dict | list) and node and rng.random() < 0.7:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        if not isinstance(node[key], dict | list):
            break
        node = node[key]
    if isinstance(node, dict):
        action = rng.randrange(3)
        key = rng.choice(list(node)) if node and action < 2 else rng.choice(ODD_TEXT[:5])
        if action == 0:
            node.pop(key, None)
        else:
            node[key] = odd_value(rng)
    elif isinstance(node, list):
        node.append(odd_value(rng) if rng.random() < 0.5 else indicator(f"10.9.9.{len(node)}"))


def mutate_bytes(rng: random.Random, body: bytes) -> bytes:
    """Flip, cut or splice bytes of a serialized envelope."""
    at = rng.randrange(len(body))
    action = rng.randrange(3)
    if action == 0:
        return body[:at] + bytes([rng.randrange(256)]) + body[at + 1:]
    if action == 1:
        return body[:at]
    return body[:at] + rng.randbytes(rng.randrange(1, 8)) + body[at:]


def fuzz_post(site: Site, rng: random.Random, good: list[dict[str, Any]]) -> requests.Response:
    envelope: dict[str, Any] = json.loads(json.dumps({"objects": good[:2] + [indicator()]}))
    for _ in range(rng.randint(1, 3)):
        mutate_tree(rng, envelope)
    try:
        text = json.dumps(envelope, ensure_ascii=rng.random() < 0.5)
        body = text.encode("utf-8", "surrogatepass")
    except RecursionError:
        body = b'{"objects": []}'
    if rng.random() < 0.3:
        body = mutate_bytes(rng, body)
    return site.call("POST", site.path("objects/"), data=body, headers={"Content-Type": TAXII})


def fuzz_get(site: Site, rng: random.Random, good: list[dict[str, Any]]) -> requests.Response:
    path = rng.choice(["objects/", "manifest/", f"objects/{good[0]['id']}/",
                       f"objects/{good[0]['id']}/versions/"])
    params = [(rng.choice(PARAMS), str(odd_value(rng, depth=3))[:300].encode(
        "utf-8", "replace").decode()) for _ in range(rng.randint(1, 3))]
    return site.call("GET", site.path(path), params=params)


def stored(site: Site, good: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {obj["id"]: site.wire().get(f"objects/{obj['id']}/", match_version="all").json()
            ["objects"] for obj in good}


def test_fuzzed_requests_never_500_and_keep_stored_objects(site: Site) -> None:
    rng = random.Random(SEED)
    good = [indicator("192.0.2.1"), indicator("192.0.2.2", tlp=None, labels=["a"])]
    good.append(dict(good[0], modified="2026-11-05T08:00:00.000Z", name="second version"))
    site.wire().add(*good)
    before = stored(site, good)
    statuses: Counter[int] = Counter()
    for round_number in range(1, ROUNDS + 1):
        response = (fuzz_post if rng.random() < 0.7 else fuzz_get)(site, rng, good)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (round_number, response.text[:300])
        if round_number % CHECK_EVERY == 0:
            after = stored(site, good)
            for stix_id, versions in before.items():
                assert [v for v in after[stix_id] if v in versions] == versions
    assert statuses[202] > 50 and statuses[400] > 20, statuses
