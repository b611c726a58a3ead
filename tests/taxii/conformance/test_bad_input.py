"""Bad input gets a clear 4xx TAXII error, never a 500 (ARCHITECTURE rule 2, section 3.4)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from tests.taxii.conformance.conftest import Site, assert_taxii_error
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import TAXII

DEEP = 100_000


def post_raw(site: Site, body: bytes, url: str | None = None) -> requests.Response:
    return site.call("POST", url or site.path("objects/"), data=body,
                     headers={"Content-Type": TAXII})


@pytest.mark.parametrize("body", [
    b"", b"{", b"not json", b'{"objects": [}', b"\xff\xfe{}", b"{}" * 3, b"\x00",
    b"[" * DEEP + b"]" * DEEP, b'{"objects":' + b"[" * DEEP + b"]" * DEEP + b"}",
    b'{"objects":[{"a":' * 5000 + b"1" + b"}]" * 5000 + b"}", b'{"objects": [NaN]}',
    b'{"objects": [1e999999]}', '{"objects": "\u00e9"}'.encode("latin-1")])
def test_malformed_json_is_400(site: Site, body: bytes) -> None:
    assert_taxii_error(post_raw(site, body), 400)


@pytest.mark.parametrize("body", [
    [], [indicator()], "objects", 1, None, True, {}, {"objects": {}}, {"objects": "x"},
    {"objects": None}, {"objects": 3}, {"object": [indicator()]}])
def test_envelope_shape_is_checked(site: Site, body: Any) -> None:
    """Section 5.5: the body is an envelope, a JSON object whose ``objects`` is a list."""
    response = assert_taxii_error(post_raw(site, json.dumps(body).encode()), 400)
    assert "objects" in response["description"] or "envelope" in response["description"]


def bad(**changes: Any) -> dict[str, Any]:
    """A fresh indicator (its own id, so no copy counts as a duplicate) with ``changes``."""
    return {**indicator(), **changes}


def _bad_objects() -> list[Any]:
    long_id = "indicator--" + "a" * 10_000
    return [
        1, "x", None, [], [indicator()], {}, {"id": long_id}, bad(id=long_id),
        bad(id=indicator()["id"] + "x" * 10_000), bad(type="x" * 10_000), bad(id=None),
        bad(id=17), bad(id=["a"]), bad(id="indicator--\ud800"), bad(id="indicator--\x00"),
        bad(type=None), bad(spec_version=2.1), bad(spec_version=None), bad(modified=None),
        bad(modified=20261101), bad(modified=[1]), bad(modified="2026-02-30T00:00:00Z"),
        bad(created="0000-01-01T00:00:00Z"), bad(modified="0001-01-01T00:00:00+01:00"),
        bad(modified="9999-12-31T23:59:59-01:00"), bad(modified="2026-11-01"),
        bad(pattern=None), bad(pattern=7), bad(pattern="[" * 500),
        bad(pattern="[file:hashes.'SHA-256' = 'zz']"), bad(pattern_type=None),
        bad(pattern_type="sigma", pattern={"not": "a string"}), bad(valid_from="soon"),
        bad(valid_from=None), bad(labels="x"), bad(object_marking_refs="tlp"),
        bad(object_marking_refs=[None]), bad(object_marking_refs=[{"x": 1}]),
        bad(external_references=[1]), bad(granular_markings=[{"selectors": None}]),
        bad(revoked="yes"), bad(confidence="high"), bad(confidence=10**100),
        bad(lang=["en"]), bad(name="\ud800 lone surrogate"), bad(**{"\udfff": "key"}),
        bad(x_list=["ok", "\udc00"]), bad(x_nested=[[[[[[["deep"]]]]]]] * 3),
        bad(x_map={str(n): n for n in range(5000)}), bad(x_float=1e308, x_int=10**4000),
        bad(name="nul \u0000 in it", description="\x00" * 100),
        {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [indicator()]},
        {"type": "marking-definition", "id": f"marking-definition--{uuid.uuid4()}",
         "spec_version": "2.1", "created": "2026-11-01T00:00:00Z", "definition_type": "tlp",
         "definition": {"tlp": 5}},
        {"type": "relationship", "id": f"relationship--{uuid.uuid4()}", "spec_version": "2.1",
         "created": "2026-11-01T00:00:00Z", "modified": "2026-11-01T00:00:00Z",
         "relationship_type": "uses", "source_ref": "x", "target_ref": None},
    ]


def test_bad_objects_are_failures_not_errors(site: Site) -> None:
    """Each malformed object is a listed failure; the valid one beside them is stored."""
    good = indicator("192.0.2.200")
    bad = _bad_objects()
    response = post_raw(site, json.dumps({"objects": [*bad, good]}).encode())
    assert response.status_code == 202, response.text[:500]
    status = response.json()
    assert status["total_count"] == len(bad) + 1
    assert status["success_count"] + status["failure_count"] == len(bad) + 1
    assert good["id"] in [s["id"] for s in status["successes"]]
    assert all(len(f["id"]) <= 300 for f in status["failures"])
    for obj in bad:
        alone = post_raw(site, json.dumps({"objects": [obj]}).encode())
        assert alone.status_code == 202, (str(obj)[:200], alone.text[:300])
    assert site.wire().get(f"objects/{good['id']}/").json()["objects"] == [good]


@pytest.mark.parametrize("depth", [60, 100, 500, 900, 950, 975, 990, 1000, 1100, 5000])
def test_deeply_nested_properties(site: Site, depth: int) -> None:
    """Nesting near Python's recursion limit is a 400 or a listed failure, never a 500."""
    obj = indicator()
    head = json.dumps(obj)[:-1].encode()
    body = b'{"objects":[' + head + b',"x_deep":' + b"[" * depth + b'"leaf"' + \
        b"]" * depth + b"}]}"
    response = post_raw(site, body)
    assert response.status_code in (202, 400), response.text[:300]
    if depth <= 60:
        assert response.json()["success_count"] == 1
        stored = site.call("GET", site.path(f"objects/{obj['id']}/"))
        assert stored.content.count(b"[") == depth + 2  # envelope, pattern, property
    elif response.status_code == 202:
        assert response.json()["failures"][0]["message"] == "nested deeper than 64 levels"


def test_many_ids_in_one_envelope(site: Site) -> None:
    """More STIX ids than a database takes as bind parameters in one query (PostgreSQL 65535,
    SQLite 32766 or 250000 depending on the build)."""
    count = 70_000
    body = json.dumps({"objects": [{"id": f"x-a--{uuid.uuid4()}"} for _ in range(count)]})
    response = post_raw(site, body.encode())
    assert response.status_code == 202, response.text[:300]
    assert response.json()["failure_count"] == count


@pytest.mark.parametrize("query", [
    "limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=", "limit=%C2%B2", "limit=1e3",
    "limit= 5", "limit=0x10", "limit=" + "9" * 5000, "limit=5%0A", "added_after=notadate",
    "added_after=", "added_after=2026-11-01",
    "added_after=0001-01-01T00:00:00%2B01:00", "added_after=9999-12-31T23:59:59-01:00",
    "added_after=2026-02-30T00:00:00Z", "added_after=2026-11-01T25:00:00Z",
    "added_after=a&added_after=b", "limit=1&limit=2", "match[type]=indicator&match[type]=tool",
    "match[version]=all,last", "match[version]=last,last", "match[version]=nope",
    "match[version]=", "match[version]=first,,last", "match[version]=0000-01-01T00:00:00Z",
    "match[foo]=bar", "match[]=x", "match[id]=" + ",".join(["x"] * 501), "match[type]=,",
    "next=bogus", "next=", "next=" + "A" * 10_000, "next=a&next=b",
    "match[spec_version]=2.1,2.1", "match[type]=%00", "match[id]=a%00b", "next=%00"])
def test_malformed_query_parameters_are_400(site: Site, query: str) -> None:
    """Section 3.4: any malformed parameter is a 400 that names it."""
    site.wire().add(indicator())
    for path in ("objects/", "manifest/"):
        body = assert_taxii_error(site.call("GET", f"{site.path(path)}?{query}"), 400)
        name = query.split("=", 1)[0]
        assert name in body["description"], body


def test_harmless_odd_queries_are_served(site: Site) -> None:
    """Parameters outside ``match[...]`` are ignored; odd but valid values work."""
    obj = indicator()
    site.wire().add(obj)
    for query in ("foo=bar", "limit=007", "limit=" + "9" * 40, "match[id]=" + "i" * 10_000,
                  "added_after=1970-01-01T00:00:00.123456789Z",
                  "match[version]=9999-12-31T23:59:59.999999Z", "match[id]=%ED%A0%80"):
        response = site.call("GET", f"{site.path('objects/')}?{query}")
        assert response.status_code == 200, (query, response.text[:300])


def _next_token(site: Site, path: str) -> str:
    token: str = site.call("GET", site.path(path), params={"limit": "1"}).json()["next"]
    return token


def test_tampered_or_misplaced_next_is_400(site: Site) -> None:
    """Appendix B: ``next`` is not trusted; a changed or foreign token is refused."""
    site.wire().add(indicator(), indicator())
    token = _next_token(site, "objects/")
    payload, _, signature = token.rpartition(".")
    # Change the signature's first character: all six of its bits count (the last one's low
    # bits are base64 padding, so changing it may decode to the same signature).
    swapped = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for bad in (swapped, token + "x", payload, "." + signature, token.upper()):
        assert_taxii_error(site.call("GET", site.path("objects/"), params={"next": bad}), 400)
    for path in ("manifest/", f"objects/{indicator()['id']}/"):
        assert_taxii_error(site.call("GET", site.path(path), params={"next": token}), 400)
    mine = site.path("objects/", site.foreign)
    assert_taxii_error(site.call("GET", mine, site.stranger, params={"next": token}), 400)
    assert_taxii_error(site.call("GET", site.path("objects/"), site.stranger,
                                 params={"next": token}), 404)
    followed = site.call("GET", site.path("objects/"), params={"next": token, "limit": "1"})
    assert followed.status_code == 200 and len(followed.json()["objects"]) == 1


@pytest.mark.parametrize("collection_id", [
    "not-a-uuid", "0" * 10_000, str(uuid.uuid4()), "..", str(uuid.uuid4()).upper(),
    "{" + str(uuid.uuid4()) + "}"])
def test_unknown_collection_ids_are_404(site: Site, collection_id: str) -> None:
    url = f"{site.root}collections/{collection_id}/objects/"
    assert_taxii_error(site.call("POST", url, json=envelope(indicator()),
                                 headers={"Content-Type": TAXII}), 404)
    assert site.call("GET", url).status_code == 404


def test_nul_in_the_path_is_400(site: Site) -> None:
    """PostgreSQL text holds no NUL, and no TAXII identifier has one."""
    for url in (f"{site.root}collections/%00/", site.path("objects/a%00b/"),
                site.path("objects/a%00b/versions/"), f"{site.root}status/%00/"):
        assert_taxii_error(site.call("GET", url), 400)
    assert_taxii_error(site.call("DELETE", site.path("objects/%00/")), 400)


def test_other_spellings_of_a_collection_uuid(site: Site) -> None:
    """A UUID in upper case or braces names the same collection (or none), never a 500."""
    for spelling in (str(site.collection.id).upper(), site.collection.id.hex):
        response = site.call("GET", f"{site.root}collections/{spelling}/")
        assert response.status_code in (200, 404), response.text


def test_oversized_body_is_413_and_stores_nothing(site: Site) -> None:
    site.app.config["TAXII_MAX_CONTENT_LENGTH"] = 10_000
    body = json.dumps(envelope(*(indicator(f"10.1.{n // 250}.{n % 250}")
                                 for n in range(200)))).encode()
    assert_taxii_error(post_raw(site, body), 413)
    assert site.call("GET", site.path("objects/")).json() == {}
