"""Every TAXII 2.1 filter and pagination header over real HTTP (sections 3.2-3.5, 3.4.1, 5.3-5.8).

Policies pinned here: timestamps are read leniently (0 to 9 fraction digits) and written with 6;
the X-TAXII-Date-Added headers are left out of empty pages; versions come in ``date_added``
order, which is oldest version first for versions added in order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from accord.sharing.timestamps import parse_timestamp
from tests.taxii.conformance.conftest import Site
from tests.taxii.conftest import indicator
from tests.taxii.wire import Wire

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
FIRST, LAST = "X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"
DAYS = ("2026-11-01T08:00:00.000Z", "2026-11-02T08:00:00.000Z", "2026-11-03T08:00:00.000Z")


def ids(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [obj["id"] for obj in response.json().get("objects", [])]


def added(wire: Wire) -> dict[str, list[datetime]]:
    """Every visible version's ``date_added`` by id, from the manifest."""
    result: dict[str, list[datetime]] = {}
    for record in wire.get("manifest/", match_version="all").json().get("objects", []):
        result.setdefault(record["id"], []).append(parse_timestamp(record["date_added"]))
    return result


def versioned(count: int = 3) -> list[dict[str, Any]]:
    """``count`` versions of one indicator, oldest first."""
    first = indicator("192.0.2.77", created=DAYS[0])
    return [dict(first, modified=day, name=f"v{n}") for n, day in enumerate(DAYS[:count], 1)]


def test_added_after_is_strictly_after(site: Site) -> None:
    """Section 3.4: ``added_after`` is strictly greater; the default starts at the oldest."""
    wire = site.wire()
    sent = [indicator(f"192.0.2.{n}") for n in range(4)]
    for obj in sent:
        wire.add(obj)
    when = added(wire)
    assert ids(wire.get(limit="1")) == [sent[0]["id"]]
    for index, obj in enumerate(sent):
        after = when[obj["id"]][0].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert ids(wire.get(added_after=after)) == [o["id"] for o in sent[index + 1:]]


@pytest.mark.parametrize("digits", range(7))
def test_added_after_accepts_zero_to_six_fraction_digits(site: Site, digits: int) -> None:
    """taxii2-client sends 0-6 digits (research note 2.8.4); each is read exactly."""
    wire = site.wire()
    sent = [indicator(f"198.51.100.{n}") for n in range(3)]
    wire.add(*sent)
    when = added(wire)
    moment = when[sent[1]["id"]][0]
    fraction = f"{moment.microsecond:06d}"[:digits]
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + "Z"
    bound = parse_timestamp(text)
    expected = [o["id"] for o in sent if when[o["id"]][0] > bound]
    assert ids(wire.get(added_after=text)) == expected
    assert sent[2]["id"] in expected and (digits < 6 or sent[1]["id"] not in expected)
    offset = moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    assert ids(wire.get(added_after=offset)) == [sent[2]["id"]]


def test_limit_is_capped_by_the_server_page(site: Site) -> None:
    """Section 3.4: never more than ``limit``; a larger ``limit`` gets the server's page."""
    site.app.config["TAXII_PAGE_SIZE"] = 3
    wire = site.wire()
    sent = [indicator(f"203.0.113.{n}") for n in range(7)]
    wire.add(*sent)
    for params, count, more in (({}, 3, True), ({"limit": "100000"}, 3, True),
                                ({"limit": "2"}, 2, True), ({"limit": "1"}, 1, True)):
        for path in ("objects/", "manifest/"):
            body = wire.get(path, **params).json()
            assert (len(body["objects"]), body["more"], "next" in body) == (count, more, more)
    site.app.config["TAXII_PAGE_SIZE"] = 10
    body = wire.get(limit="7").json()
    assert (len(body["objects"]), body["more"], "next" in body) == (7, False, False)


def walk(wire: Wire, path: str, key: str, **params: str) -> list[Any]:
    """Every item of ``path`` by following ``next`` with the same filters (section 3.5)."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(100):
        body = wire.get(path, **params, **({"next": token} if token else {})).json()
        items.extend(body.get(key, []))
        if not body.get("more"):
            return items
        token = body["next"]
    raise AssertionError("next never ended")


def test_next_walks_objects_manifest_and_versions(site: Site) -> None:
    """Section 3.5: ``more``/``next`` on objects, manifest and (errata #110) versions."""
    wire = site.wire()
    sent = [indicator(f"192.0.2.{n}", labels=["malicious-activity"]) for n in range(9)]
    wire.add(*sent)
    many = versioned()
    for version in many:
        wire.add(version)
    everything = [o["id"] for o in sent] + [many[0]["id"]]
    assert [o["id"] for o in walk(wire, "objects/", "objects", limit="2")] == everything
    assert [m["id"] for m in walk(wire, "manifest/", "objects", limit="4")] == everything
    assert [o["id"] for o in walk(wire, "objects/", "objects", limit="2",
                                  match_type="indicator", match_version="all")] == \
        everything + [many[0]["id"]] * 2
    versions = walk(wire, f"objects/{many[0]['id']}/versions/", "versions", limit="1")
    assert versions == [day.replace(".000Z", ".000000Z") for day in DAYS]
    object_versions = walk(wire, f"objects/{many[0]['id']}/", "objects", limit="1",
                           match_version="all")
    assert [o["name"] for o in object_versions] == ["v1", "v2", "v3"]


def test_next_keeps_the_original_filters(site: Site) -> None:
    """Section 3.5: ``next`` with the same query continues it; the filters still apply."""
    wire = site.wire()
    objects = [indicator(f"192.0.2.{n}") for n in range(6)]
    wire.add(*objects)
    first = wire.get(limit="2", match_id=",".join(o["id"] for o in objects[::2])).json()
    assert [o["id"] for o in first["objects"]] == [objects[0]["id"], objects[2]["id"]]
    rest = wire.get(limit="2", next=first["next"],
                    match_id=",".join(o["id"] for o in objects[::2]))
    assert ids(rest) == [objects[4]["id"]]
    assert rest.json()["more"] is False


def test_match_id_and_type_take_several_values_and_combine(site: Site) -> None:
    """Section 3.4: values of one filter are OR-ed, different filters AND-ed."""
    wire = site.wire()
    ioc = indicator()
    malware = {"type": "malware", "spec_version": "2.1", "id": "malware--" + ioc["id"][11:],
               "created": DAYS[0], "modified": DAYS[0], "name": "Ransom", "is_family": True}
    tool = {"type": "tool", "spec_version": "2.1", "id": "tool--" + ioc["id"][11:],
            "created": DAYS[0], "modified": DAYS[0], "name": "nmap"}
    wire.add(ioc, malware, tool)
    assert ids(wire.get(match_type="indicator,malware")) == [ioc["id"], malware["id"]]
    assert ids(wire.get(match_type="malware,tool", match_id=f"{ioc['id']},{tool['id']}")) == \
        [tool["id"]]
    assert ids(wire.get(match_id=f"{tool['id']},{ioc['id']}")) == [ioc["id"], tool["id"]]
    assert ids(wire.get("manifest/", match_type="tool")) == [tool["id"]]
    for path in ("objects/", "manifest/"):
        empty = wire.get(path, match_type="grouping")
        assert (empty.status_code, empty.json()) == (200, {})
        assert FIRST not in empty.headers and LAST not in empty.headers


@pytest.mark.parametrize(("version", "names"), [
    (None, ["v3"]), ("last", ["v3"]), ("first", ["v1"]), ("all", ["v1", "v2", "v3"]),
    ("first,last", ["v1", "v3"]), (DAYS[1], ["v2"]), ("2026-11-02T08:00:00Z", ["v2"]),
    ("2026-11-02T08:00:00.000000Z", ["v2"]), (f"{DAYS[0]},{DAYS[2]}", ["v1", "v3"]),
    (f"first,{DAYS[1]},last", ["v1", "v2", "v3"]), ("2026-11-05T08:00:00.000Z", [])])
def test_match_version(site: Site, version: str | None, names: list[str]) -> None:
    """Section 3.4.1: last by default; first, all, exact timestamps and unions."""
    wire = site.wire()
    many = versioned()
    for obj in many:
        wire.add(obj)
    params = {"match_version": version} if version else {}
    for path in ("objects/", f"objects/{many[0]['id']}/"):
        response = wire.get(path, **params)
        if path != "objects/" and not names:
            assert response.status_code == 404
            continue
        assert [o["name"] for o in response.json().get("objects", [])] == names
    manifest = wire.get("manifest/", **params).json().get("objects", [])
    assert [m["version"] for m in manifest] == \
        [o["modified"].replace(".000Z", ".000000Z") for o in many if o["name"] in names]


def test_match_spec_version(site: Site) -> None:
    """Section 3.4.1: only the asked spec versions; the hub stores 2.1 only."""
    wire = site.wire()
    obj = indicator()
    wire.add(obj)
    assert ids(wire.get(match_spec_version="2.1")) == [obj["id"]]
    assert ids(wire.get(match_spec_version="2.0,2.1")) == [obj["id"]]
    assert wire.get(match_spec_version="2.0").json() == {}
    assert wire.get("manifest/", match_spec_version="2.0").json() == {}
    versions = wire.get(f"objects/{obj['id']}/versions/", match_spec_version="2.1").json()
    assert versions["versions"] == ["2026-11-01T08:00:00.000000Z"]


def test_date_added_headers_on_every_read(site: Site) -> None:
    """Section 3.2: First/Last are the first and last ``date_added`` of the page, 6 digits."""
    wire = site.wire()
    sent = [indicator(f"192.0.2.{n}") for n in range(5)]
    wire.add(*sent)
    many = versioned()
    for obj in many:
        wire.add(obj)
    when = added(wire)
    paths = {"objects/": (sent[0], sent[2]), "manifest/": (sent[0], sent[2])}
    for path, (first, last) in paths.items():
        response = wire.get(path, limit="3")
        assert response.headers[FIRST] == _stamp(when[first["id"]][0])
        assert response.headers[LAST] == _stamp(when[last["id"]][0])
    versions = wire.get(f"objects/{many[0]['id']}/versions/")
    assert (versions.headers[FIRST], versions.headers[LAST]) == (
        _stamp(when[many[0]["id"]][0]), _stamp(when[many[0]["id"]][2]))
    single = wire.get(f"objects/{many[0]['id']}/")
    assert single.headers[FIRST] == single.headers[LAST] == _stamp(when[many[0]["id"]][2])
    for response in (versions, single, wire.get()):
        assert TIMESTAMP.match(response.headers[FIRST])
        assert TIMESTAMP.match(response.headers[LAST])


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_last_header_as_added_after_returns_none_of_the_page(site: Site) -> None:
    """Section 3.5: paging by ``added_after`` = X-TAXII-Date-Added-Last loses nothing."""
    wire = site.wire()
    sent = [indicator(f"192.0.2.{n}") for n in range(7)]
    wire.add(*sent[:4])
    wire.add(*sent[4:])
    seen: list[str] = []
    after: str | None = None
    for _ in range(20):
        response = wire.get(limit="3", **({"added_after": after} if after else {}))
        page = ids(response)
        if not page:
            assert response.json() == {} and LAST not in response.headers
            break
        assert not set(page) & set(seen)
        seen.extend(page)
        after = response.headers[LAST]
    assert seen == [o["id"] for o in sent]
    empty = wire.get(f"objects/{sent[0]['id']}/versions/", added_after=after or "")
    assert (empty.status_code, FIRST in empty.headers) == (200, False)
    assert "versions" not in empty.json(), empty.json()


def test_versions_are_oldest_first(site: Site) -> None:
    """Section 5.8 (order left open, research note 2.8.3): ``date_added`` order."""
    wire = site.wire()
    many = versioned()
    wire.add(many[0])
    wire.add(many[2], many[1])
    versions = wire.get(f"objects/{many[0]['id']}/versions/").json()["versions"]
    assert versions == [DAYS[0].replace(".000Z", ".000000Z"), "2026-11-03T08:00:00.000000Z",
                        "2026-11-02T08:00:00.000000Z"]
    fresh = versioned()
    for obj in fresh:
        wire.add(obj)
    ordered = wire.get(f"objects/{fresh[0]['id']}/versions/").json()["versions"]
    assert ordered == sorted(ordered) and len(ordered) == 3
