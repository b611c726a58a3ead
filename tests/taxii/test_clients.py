"""Real TAXII clients against a live hub: taxii2-client and stix2's TAXIICollection* (issue 3)."""

from __future__ import annotations

import stix2
from stix2 import TAXIICollectionSink, TAXIICollectionSource
from taxii2client.v21 import as_pages

from tests.taxii.conftest import Hub, envelope, indicator


def test_discovery_api_root_and_collections(hub: Hub) -> None:
    server = hub.server(hub.analyst)
    assert server.title == "Accord TAXII 2.1"
    root = server.default
    assert root is not None and root.url == hub.root_url
    assert root.max_content_length == 10 * 1024 * 1024
    titles = [(c.title, c.can_read, c.can_write) for c in root.collections]
    assert titles == [("Partner indicators", True, True)]


def test_add_get_versions_manifest_with_taxii2_client(hub: Hub) -> None:
    collection = hub.client(hub.analyst)
    first = indicator("203.0.113.5")
    second = dict(first, modified="2026-11-02T08:00:00.000Z", name="Updated")
    status = collection.add_objects(envelope(first))
    assert status.status == "complete" and status.success_count == 1
    assert collection.add_objects(envelope(second)).success_count == 1

    latest = collection.get_object(first["id"])
    assert latest["objects"][0]["name"] == "Updated"
    every = collection.get_object(first["id"], version="all")
    assert [o["modified"] for o in every["objects"]] == [first["modified"], second["modified"]]
    versions = collection.object_versions(first["id"])
    assert versions["versions"] == ["2026-11-01T08:00:00.000000Z", "2026-11-02T08:00:00.000000Z"]
    manifest = collection.get_manifest()
    assert [m["id"] for m in manifest["objects"]] == [first["id"]]
    status_again = hub.api_root(hub.analyst).get_status(status.id)
    assert status_again.status == "complete"


def test_as_pages_walks_every_object_once(hub: Hub) -> None:
    collection = hub.client(hub.analyst)
    sent = [indicator(f"192.0.2.{n}") for n in range(1, 26)]
    collection.add_objects(envelope(*sent))
    seen = [o["id"] for page in as_pages(collection.get_objects, per_request=7)
            for o in page.get("objects", [])]
    assert seen == [o["id"] for o in sent]
    manifest = [m["id"] for page in as_pages(collection.get_manifest, per_request=4)
                for m in page.get("objects", [])]
    assert manifest == seen


def test_stix2_taxii_collection_sink_and_source(hub: Hub) -> None:
    sink = TAXIICollectionSink(hub.client(hub.analyst))
    ioc = stix2.Indicator(pattern="[domain-name:value = 'evil.example']", pattern_type="stix",
                          valid_from="2026-11-01T00:00:00Z", name="evil.example")
    sink.add(ioc)
    source = TAXIICollectionSource(hub.client(hub.partner_analyst))
    fetched = source.get(ioc.id)
    assert fetched is not None and fetched.name == "evil.example"
    assert [o.id for o in source.query([stix2.Filter("type", "=", "indicator")])] == [ioc.id]
    assert len(source.all_versions(ioc.id)) == 1
