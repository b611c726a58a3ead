"""Add objects (section 5.5) and its status resource (4.3.1) over real HTTP and taxii2-client."""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Any

from taxii2client.v21 import Collection, Status

from accord.sharing.ingest import SAME_VERSION
from tests.factories import PASSWORD
from tests.taxii.conformance.conftest import Site
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import TAXII, Wire, failures_by_id, success_ids


def client(site: Site) -> Collection:
    return Collection(site.path(), user=site.owner.username, password=PASSWORD)


def stored_versions(wire: Wire, stix_id: str | None = None) -> list[dict[str, Any]]:
    """Every stored version visible to ``wire`` (optionally of one id)."""
    params = {"match_version": "all", **({"match_id": stix_id} if stix_id else {})}
    objects: list[dict[str, Any]] = wire.get(**params).json().get("objects", [])
    return objects


def assert_counts_add_up(status: dict[str, Any], total: int) -> None:
    """Section 4.3.1: counts equal their lists and sum to the envelope's size."""
    assert status["status"] == "complete" and status["total_count"] == total
    assert status["success_count"] + status["failure_count"] + status["pending_count"] == total
    for name, count in (("successes", "success_count"), ("failures", "failure_count")):
        assert len(status.get(name, [])) == status[count]
    assert "pendings" not in status and status["pending_count"] == 0


def test_duplicates_are_successes_and_stored_once(site: Site) -> None:
    """Section 5.5: an exact duplicate is no error; the hub keeps one copy. The same id and
    version with other content is a failure with its reason for a sender who may read the
    held version; a write-only sender gets the answer an unknown id would get, and nothing is
    stored (docs/sharing-rules.md: no existence oracle)."""
    wire = site.wire()
    obj = indicator()
    same_version = dict(obj, modified="2026-11-01T08:00:00Z", name="same id and version")
    first = wire.add(obj, obj)
    assert (first["success_count"], first["failure_count"]) == (2, 0)
    for again in (wire.add(obj), site.wire(site.writer).add(obj)):
        assert (again["success_count"], again["failure_count"]) == (1, 0)
        assert success_ids(again) == [obj["id"]]
        assert again["successes"][0]["version"] == "2026-11-01T08:00:00.000000Z"
    changed = wire.add(same_version)
    assert (changed["success_count"], changed["failure_count"]) == (0, 1)
    assert changed["failures"][0]["message"] == SAME_VERSION
    blind = site.wire(site.writer).add(same_version)
    assert (blind["success_count"], blind["failure_count"]) == (1, 0)
    assert stored_versions(wire) == [obj]
    assert len(wire.get("manifest/", match_version="all").json()["objects"]) == 1


def test_partial_failure_keeps_the_valid_objects(site: Site) -> None:
    """Section 5.5 / rule 1: each bad object is listed with its reason, good ones are kept."""
    good = [indicator("192.0.2.1"), indicator("192.0.2.2")]
    no_pattern = {k: v for k, v in indicator().items() if k != "pattern"}
    bad_pattern = indicator(pattern="[ipv4-addr:value = '1.2.3.4'")
    bad_time = indicator(modified="yesterday")
    bad_id = dict(indicator(), id="indicator--not-a-uuid")
    wrong_type = dict(indicator(), name=["not", "a", "string"], valid_from=17)
    bad = [no_pattern, bad_pattern, bad_time, bad_id, wrong_type]
    sent: list[Any] = [good[0], *bad, "not an object", 42, None, [], good[1]]
    status = site.wire().add(*sent)
    assert_counts_add_up(status, len(sent))
    assert success_ids(status) == [obj["id"] for obj in good]
    failures = status["failures"]
    assert [f["id"] for f in failures] == [obj["id"] for obj in bad] + [""] * 4
    assert all(isinstance(f["message"], str) and f["message"] for f in failures)
    reasons = failures_by_id(status)
    assert "pattern" in reasons[no_pattern["id"]] and "pattern" in reasons[bad_pattern["id"]]
    assert "modified" in reasons[bad_time["id"]] and "UUID" in reasons[bad_id["id"]]
    assert [o["id"] for o in stored_versions(site.wire())] == [obj["id"] for obj in good]
    again = site.call("GET", f"{site.root}status/{status['id']}/").json()
    assert again == status


def test_taxii2_client_accepts_a_partial_status(site: Site) -> None:
    """taxii2-client validates counts (Status._validate_status); a mixed result passes."""
    collection = client(site)
    status = collection.add_objects(envelope(indicator(), indicator(pattern="nope"), indicator()))
    assert isinstance(status, Status)
    assert (status.total_count, status.success_count, status.failure_count) == (3, 2, 1)
    assert status.failures[0]["message"]
    assert [o["name"] for o in collection.get_objects()["objects"]] == \
        ["Malicious host 198.51.100.7"] * 2


def test_stix_bundle_is_accepted_as_an_envelope(site: Site) -> None:
    """Research note RS-21: stix2's TAXIICollectionSink posts bundles (type/id keys)."""
    objects = [indicator("192.0.2.9"), indicator("192.0.2.10")]
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "spec_version": "2.1",
              "objects": objects}
    response = site.call("POST", site.path("objects/"), json=bundle,
                         headers={"Content-Type": TAXII})
    assert response.status_code == 202, response.text
    assert_counts_add_up(response.json(), 2)
    assert stored_versions(site.wire()) == objects
    stix_type = site.call("POST", site.path("objects/"), json=bundle,
                          headers={"Content-Type": "application/stix+json;version=2.1"})
    assert stix_type.status_code == 202 and stix_type.json()["success_count"] == 2


NAMES = ["Ransomware «Чёрный» 勒索软件 🦠", unicodedata.normalize("NFD", "Café ñandú"),
         "zero\u200bwidth and \u202eright-to-left", "quote \" backslash \\ tab \t nul-free"]


def test_non_ascii_round_trips_byte_exact(site: Site) -> None:
    """Section 1.6.7: UTF-8 JSON; names come back exactly as sent, not normalised."""
    objects = [indicator(f"192.0.2.{n}", name=name, description=name * 3)
               for n, name in enumerate(NAMES)]
    raw = json.dumps({"objects": objects[:2]}, ensure_ascii=False).encode()
    escaped = json.dumps({"objects": objects[2:]}, ensure_ascii=True).encode()
    for body in (raw, escaped):
        response = site.call("POST", site.path("objects/"), data=body,
                             headers={"Content-Type": TAXII})
        assert response.status_code == 202 and response.json()["failure_count"] == 0
    fetched = site.call("GET", site.path("objects/"))
    assert fetched.json()["objects"] == objects
    for name in NAMES:
        assert json.dumps(name, ensure_ascii=False)[1:-1].encode() in fetched.content
    for obj in objects:
        one = site.call("GET", site.path(f"objects/{obj['id']}/")).json()["objects"][0]
        assert one["name"].encode() == obj["name"].encode()
