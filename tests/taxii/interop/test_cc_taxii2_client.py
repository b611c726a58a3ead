"""CloudCover's cc-taxii2-client unmodified against gunicorn (issue 19): collections, filtered
paged polls and reads by id work. What it cannot do is the library's own limit, shown here
exactly: it has no discovery (its base URL is fixed to CloudCover's server, so ``url`` is set
by hand), no way to add objects, and it reads only indicators made of exactly its eleven
CloudCover properties, so a TLP marking or any other object type breaks it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import stix2
from cc_taxii2_client import CCTaxiiClient

from tests.taxii.interop.conftest import ALIAS, InteropHub

TAXII = "application/taxii+json;version=2.1"


def cloudcover_indicators(count: int) -> list[dict[str, Any]]:
    """Indicators with exactly the properties ``CCIndicator`` accepts (no markings)."""
    return [json.loads(stix2.Indicator(
        name=f"Scanner 203.0.113.{n}", description=f"Seen scanning {n}",
        pattern=f"[ipv4-addr:value = '203.0.113.{n}']", pattern_type="stix",
        pattern_version="2.1", valid_from="2026-11-01T08:00:00Z").serialize())
        for n in range(1, count + 1)]


def add(hub: InteropHub, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The library cannot add objects; the test adds them over plain HTTP with the token."""
    response = requests.post(hub.collection_url() + "objects/", json={"objects": objects},
                             headers={"Accept": TAXII, "Content-Type": TAXII,
                                      "Authorization": f"Bearer {hub.token}"}, timeout=30)
    assert response.status_code == 202, response.text
    status: dict[str, Any] = response.json()
    assert status["success_count"] == len(objects)
    return status


def client_for(hub: InteropHub) -> CCTaxiiClient:
    client = CCTaxiiClient(hub.analyst.username, hub.token)
    # The library has no discovery: its URL is fixed. Its own __init__.pyi stub omits the
    # `url` attribute that its classes set, hence the narrow ignores.
    assert client.url == "https://taxii2.cloudcover.net"  # type: ignore[attr-defined]
    client.url = f"{hub.url}/taxii2"  # type: ignore[attr-defined]
    return client


def test_cc_taxii2_client_collections_poll_and_get(interop_hub: InteropHub) -> None:
    hub = interop_hub
    client = client_for(hub)
    assert client.get_collections("api") == [hub.collection_id]

    sent = cloudcover_indicators(5)
    add(hub, sent[:3])
    second = add(hub, sent[3:])

    pages = list(client.get_cc_indicators_generator(
        ALIAS, limit=2, matches={"type": "indicator"}, follow_pages=True))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [i.id for page in pages for i in page] == [o["id"] for o in sent]

    later = list(client.get_cc_indicators_generator(
        hub.collection_id, added_after=second["request_timestamp"], follow_pages=True))
    assert [i.id for page in later for i in page] == [o["id"] for o in sent[3:]]

    one = list(client.get_cc_indicators_generator(hub.collection_id,
                                                  matches={"id": sent[1]["id"]}))
    assert [(i.id, i.pattern) for page in one for i in page] == \
        [(sent[1]["id"], sent[1]["pattern"])]


def test_cc_taxii2_client_limits_are_its_own(interop_hub: InteropHub) -> None:
    hub = interop_hub
    client = client_for(hub)
    public = {name for name in dir(client) if not name.startswith("_")}
    assert not {name for name in public if "add" in name or "discover" in name or
                "status" in name}, public  # no discovery, add objects or status calls at all
    with pytest.raises(NotImplementedError):  # the generic STIX reader is an abstract stub
        client.get_stix2_objects("api", hub.collection_id, 10, None, None, False)

    marked = json.loads(stix2.Indicator(
        name="Marked", description="TLP:GREEN", pattern="[ipv4-addr:value = '203.0.113.9']",
        pattern_type="stix", pattern_version="2.1", valid_from="2026-11-01T08:00:00Z",
        object_marking_refs=[stix2.TLP_GREEN]).serialize())
    add(hub, [marked])
    served = requests.get(hub.collection_url() + "objects/", timeout=30,
                          headers={"Accept": TAXII, "Authorization": f"Bearer {hub.token}"})
    assert served.json()["objects"] == [marked]  # the hub serves the object as shared
    with pytest.raises(TypeError, match="unexpected keyword argument 'object_marking_refs'"):
        list(client.get_cc_indicators_generator(hub.collection_id))
