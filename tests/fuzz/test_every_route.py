"""A seeded fuzz of every route the app serves: never a 5xx, never a stack trace (issue 12).

The routes come from ``app.url_map``, so a new TAXII endpoint, API route or web form is fuzzed
without touching this file; web form field names are read from the rendered pages. Requests go
through the Flask test client (no network), as users of every role, with the input classes of
:mod:`tests.fuzz.inputs`. Bounded in count and time: ``ACCORD_FUZZ_REQUESTS`` (default 1,500)
and ``ACCORD_FUZZ_SECONDS`` (default 75, after setup); ``ACCORD_FUZZ_SEED`` picks another sequence.
"""

from __future__ import annotations

import base64
import io
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask
from sqlalchemy.orm import Session

from feeds.api import CREATE_FIELDS
from tests.factories import PASSWORD
from tests.fuzz import inputs
from tests.fuzz.world import TAXII, Browser, World, _browser, build

SEED = int(os.environ.get("ACCORD_FUZZ_SEED", "20261203"))
REQUESTS = int(os.environ.get("ACCORD_FUZZ_REQUESTS", "1500"))
SECONDS = float(os.environ.get("ACCORD_FUZZ_SECONDS", "75"))
TRACE_MARKERS = ("Traceback", 'File "')
MAX_BODY = 200_000  # TAXII_MAX_CONTENT_LENGTH during the fuzz, so oversized bodies stay cheap
API_KEYS = sorted(CREATE_FIELDS | {
    "scenario", "start", "timezone", "teams", "speed", "rehearsal", "evaluators", "observers",
    "webhooks", "owner_team", "reason", "verdict", "note", "text", "team", "objective",
    "rating", "action", "due_date", "status", "decision"})
QUERY_KEYS = ["limit", "next", "added_after", "match[id]", "match[type]", "match[version]",
              "match[spec_version]", "match[x]", "format", "title", "replace", "page", "q",
              "type", "tlp", "team", "from", "to", "before", "after", "since", "until",
              "action", "user", "collection", "next"]
WRONG_TYPES = ["text/plain", "application/xml", "application/x-www-form-urlencoded",
               "application/json", "application/taxii+json;version=2.0", "image/png",
               "multipart/form-data; boundary=x", "application/yaml", ""]
ACCEPTS = [TAXII, "application/json", "text/html", "*/*", "application/taxii+json;version=2.0",
           "application/stix+json;version=2.1", "application/xml"]
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[a-z_]+)>")


@dataclass(frozen=True)
class Target:
    rule: str
    endpoint: str
    method: str


def targets(app: Flask) -> list[Target]:
    """Every (rule, method) the app routes, HEAD and OPTIONS aside."""
    found = [Target(rule.rule, rule.endpoint, method) for rule in app.url_map.iter_rules()
             for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return sorted(found, key=lambda t: (t.rule, t.method))


STIX_WRITES = {"taxii.taxii_objects.add": 6, "web.share.bundle": 3}


def weight(target: Target) -> int:
    """How often a target comes up per round: routes that take a body more than pages, and the
    two STIX write paths (TAXII add objects, the share page) most."""
    return STIX_WRITES.get(target.endpoint, 2 if target.method in ("POST", "PATCH") else 1)


def fill(rng: random.Random, world: World, rule: str) -> str:
    """The rule with each argument replaced: a real value, an unknown id or odd text."""
    def value(match: re.Match[str]) -> str:
        pool = world.pools.get(match["name"], [])
        roll = rng.random()
        text = (rng.choice(pool) if pool and roll < 0.75 else
                inputs.unknown_id(rng) if roll < 0.9 else inputs.odd_text(rng) or "x")
        return quote(text, safe="/" if match["converter"] == "path" else "")
    return _ARGUMENT.sub(value, rule)


def query(rng: random.Random, world: World) -> str:
    roll = rng.random()
    if roll < 0.02:
        return urlencode({"match[id]": ",".join(f"indicator--{i:036d}" for i in range(1500))})
    if roll < 0.5:
        return ""
    keys = QUERY_KEYS + sorted(world.form_fields)
    pairs = [(rng.choice(keys), inputs.odd_text(rng)) for _ in range(rng.randint(1, 3))]
    return urlencode(pairs, quote_via=quote)


def hostile_body(rng: random.Random) -> str:
    """A body from the classes that are not the route's own format."""
    makers: list[Callable[[], str]] = [
        lambda: rng.choice(inputs.MALFORMED_JSON), lambda: "[" * 20_000 + "]" * 20_000,
        lambda: '{"x":"' + "a" * (MAX_BODY + 10) + '"}', lambda: rng.choice(inputs.BAD_YAML),
        lambda: inputs.alias_bomb(rng), lambda: inputs.json_fragment(rng)]
    return rng.choice(makers)()


def machine_request(rng: random.Random, world: World, target: Target) -> dict[str, Any]:
    """Keyword arguments of ``client.open`` for a TAXII or API call."""
    who = rng.random()
    users = sorted(world.tokens)
    headers = {"Authorization": f"Bearer {world.tokens[rng.choice(users)]}" if who < 0.85 else
               "Basic " + base64.b64encode(
                   f"{rng.choice(users)}:{PASSWORD}".encode()).decode() if who < 0.87 else
               rng.choice(["", "Bearer acd_nope", "Basic %%%", "Digest x"])}
    if target.rule.startswith("/taxii2"):
        headers["Accept"] = TAXII if rng.random() < 0.85 else rng.choice(ACCEPTS)
    if target.method == "GET" or target.method == "DELETE" and rng.random() < 0.8:
        return {"headers": headers}
    if target.rule.startswith("/taxii2"):
        body, media = (inputs.stix_envelope(rng), TAXII) if rng.random() < 0.7 else \
            (hostile_body(rng), TAXII if rng.random() < 0.6 else rng.choice(WRONG_TYPES))
    elif "scenarios" in target.rule:
        body, fmt = inputs.scenario_text(rng)
        media = f"application/{fmt}" if rng.random() < 0.8 else rng.choice(WRONG_TYPES)
    else:
        body = inputs.json_object(rng, API_KEYS) if rng.random() < 0.65 else hostile_body(rng)
        media = "application/json" if rng.random() < 0.85 else rng.choice(WRONG_TYPES)
    if media:
        headers["Content-Type"] = media
    return {"headers": headers, "data": body.encode("utf-8", "surrogatepass")}


def browser_request(rng: random.Random, world: World, browser: Browser, target: Target
                    ) -> dict[str, Any]:
    """Keyword arguments of ``client.open`` for a page or a form post."""
    if target.method == "GET":
        return {"headers": {"Accept": "text/html"}}
    form: dict[str, Any] = {"csrf_token": browser.csrf if rng.random() < 0.92 else "bogus"}
    for name in rng.sample(sorted(world.form_fields), k=rng.randint(0, 6)):
        form[name] = inputs.odd_text(rng)
    roll = rng.random()
    if roll < 0.25:
        form["bundle"] = inputs.stix_envelope(rng)
    elif roll < 0.4:
        text, fmt = inputs.scenario_text(rng)
        form["file"] = (io.BytesIO(text.encode("utf-8", "surrogatepass")), f"fuzz.{fmt}")
    elif roll < 0.45:
        return {"headers": {"Accept": "text/html", "Content-Type": rng.choice(WRONG_TYPES)},
                "data": hostile_body(rng).encode("utf-8", "surrogatepass")}
    elif roll < 0.48:
        form["bundle"] = "x" * 600_000  # over Werkzeug's form memory limit
    return {"headers": {"Accept": "text/html"}, "data": form}


def trace_free(body: str) -> bool:
    return not any(marker in body for marker in TRACE_MARKERS)


def test_every_route_answers_bad_input_with_a_4xx(app: Flask, session: Session) -> None:
    app.config.update(TAXII_MAX_CONTENT_LENGTH=MAX_BODY, LOGIN_FAILURES_PER_USER=10**9,
                      LOGIN_FAILURES_PER_ADDRESS=10**9)
    world = build(app, session)
    rng = random.Random(SEED)
    all_targets = targets(app)
    assert len(all_targets) > 80  # TAXII, API and web together
    machine = app.test_client()
    statuses: Counter[int] = Counter()
    visits: Counter[Target] = Counter()
    failures: list[str] = []
    deadline = time.monotonic() + SECONDS
    sent = 0
    while sent < REQUESTS and time.monotonic() < deadline:
        order = [target for target in all_targets for _ in range(weight(target))]
        rng.shuffle(order)
        for target in order[:REQUESTS - sent]:
            url = fill(rng, world, target.rule)
            extra = query(rng, world)
            if extra:
                url += "?" + extra
            if target.rule.startswith(("/taxii2", "/api")):
                client, kwargs, browser = machine, machine_request(rng, world, target), None
            else:
                browser = rng.choice(world.browsers)
                client, kwargs = browser.client, browser_request(rng, world, browser, target)
            response = client.open(url, method=target.method, **kwargs)
            sent += 1
            visits[target] += 1
            statuses[response.status_code] += 1
            body = response.get_data(as_text=True)
            response.close()  # static files are streamed from an open file
            if response.status_code >= 500 or not trace_free(body):
                failures.append(f"{target.method} {url[:160]!r} -> {response.status_code}: "
                                f"{body[:200]!r}")
            if browser is not None and browser.username and target.endpoint.startswith(
                    "web.auth") and browser.client.get("/tokens/").status_code != 200:
                world.browsers[world.browsers.index(browser)] = _browser(app, browser.username)
            if time.monotonic() >= deadline:
                break
    print(f"\nroute fuzz: seed {SEED}, {sent} requests over {len(all_targets)} routes, "
          f"statuses {dict(sorted(statuses.items()))}")
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:40])
    assert set(visits) == set(all_targets), "the time budget ended before every route was hit"
    assert statuses[400] > sent // 20 and sum(n for s, n in statuses.items() if s < 300) > 0
