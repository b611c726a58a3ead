"""stix2's TAXIICollectionStore (source and sink over a taxii2-client Collection) unmodified
against gunicorn: discovery, collections, add, filtered paged query, get by id (issue 19)."""

from __future__ import annotations

import requests
import stix2
from stix2 import Filter, TAXIICollectionStore
from taxii2client.common import TokenAuth
from taxii2client.v21 import Server

from tests.taxii.interop.conftest import InteropHub, sample_objects


def test_stix2_taxii_collection_store_round_trip(interop_hub: InteropHub) -> None:
    hub = interop_hub
    server = Server(hub.discovery_url, auth=TokenAuth(hub.token))
    assert server.default is not None and server.default.url == hub.api_root_url
    collection = next(c for c in server.default.collections if c.id == hub.collection_id)
    store = TAXIICollectionStore(collection, items_per_page=2)
    pages: list[int] = []

    def count_objects_pages(response: requests.Response, **_: object) -> None:
        if response.request.method == "GET" and "/objects/?" in str(response.request.url):
            pages.append(len(response.json().get("objects", [])))

    collection._conn.session.hooks["response"].append(count_objects_pages)

    sent = [stix2.parse(obj) for obj in sample_objects()]
    store.add(sent)

    indicators = store.query([Filter("type", "=", "indicator")])
    assert pages == [2, 2, 1]  # followed the hub's next tokens, two objects per request
    assert sorted(o.id for o in indicators) == sorted(o.id for o in sent[:5])
    everything = store.query()
    assert len(everything) == 7

    manifest = collection.get_manifest()["objects"]
    newer = store.query([Filter("added_after", "=", manifest[4]["date_added"])])
    assert sorted(o.id for o in newer) == sorted(o.id for o in sent[5:])

    fetched = store.get(sent[2].id)
    assert fetched is not None and fetched.name == sent[2].name
    assert fetched.serialize(sort_keys=True) == sent[2].serialize(sort_keys=True)
    assert [v.modified for v in store.all_versions(sent[6].id)] == [sent[6].modified]
