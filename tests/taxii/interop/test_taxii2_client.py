"""taxii2-client (OASIS) unmodified against gunicorn, with every credential form it can send:
Basic with a password, Basic with a token as the password, Bearer and its own ``TokenAuth``
(``Authorization: Token ...``). Each run: discovery, collections, add, filtered paged poll,
get by id (issue 19)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from taxii2client.common import TokenAuth
from taxii2client.exceptions import ValidationError
from taxii2client.v21 import Collection, Server, as_pages

from tests.taxii.interop.conftest import ALIAS, InteropHub, sample_objects


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>``, what most scripts and connectors send."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def credentials(hub: InteropHub, scheme: str) -> dict[str, Any]:
    """taxii2-client keyword arguments for one way of authenticating."""
    if scheme == "basic-password":
        return {"user": hub.analyst.username, "password": hub.password}
    if scheme == "basic-token":
        return {"user": hub.analyst.username, "password": hub.token}
    if scheme == "bearer":
        return {"auth": BearerAuth(hub.token)}
    return {"auth": TokenAuth(hub.token)}


SCHEMES = ["basic-password", "basic-token", "bearer", "token"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_taxii2_client_round_trip(interop_hub: InteropHub, scheme: str) -> None:
    hub = interop_hub
    auth = credentials(hub, scheme)
    server = Server(hub.discovery_url, **auth)
    assert server.title == "Accord TAXII 2.1"
    assert server.default is not None and server.default.url == hub.api_root_url
    assert [root.url for root in server.api_roots] == [hub.api_root_url]

    listed = server.default.collections
    assert [(c.id, c.title, c.can_read, c.can_write) for c in listed] == \
        [(hub.collection_id, "Partner indicators", True, True)]
    collection = listed[0]

    sent = sample_objects()
    status = collection.add_objects({"objects": sent})
    assert (status.status, status.total_count, status.success_count) == ("complete", 7, 7)
    assert server.default.get_status(status.id).success_count == 7

    indicators = [o["id"] for o in sent if o["type"] == "indicator"]
    pages = list(as_pages(collection.get_objects, per_request=2, type="indicator"))
    assert [len(page["objects"]) for page in pages] == [2, 2, 1]
    assert [o["id"] for page in pages for o in page["objects"]] == indicators

    manifest = collection.get_manifest(type="indicator")["objects"]
    after = manifest[2]["date_added"]
    later = collection.get_objects(added_after=after, type="indicator")
    assert [o["id"] for o in later["objects"]] == indicators[3:]

    one = collection.get_object(sent[5]["id"])
    assert one["objects"] == [sent[5]]


def test_taxii2_client_cannot_address_a_collection_by_alias(interop_hub: InteropHub) -> None:
    """taxii2-client's own check, not the hub, refuses alias URLs: its ``Collection`` insists
    the collection's id appears in the URL. The hub answers the alias URL correctly."""
    hub = interop_hub
    answer = requests.get(hub.collection_url(ALIAS), auth=TokenAuth(hub.token), timeout=30,
                          headers={"Accept": "application/taxii+json;version=2.1"})
    assert answer.status_code == 200 and answer.json()["id"] == hub.collection_id
    assert answer.json()["alias"] == ALIAS
    by_alias = Collection(hub.collection_url(ALIAS), auth=TokenAuth(hub.token))
    with pytest.raises(ValidationError, match="does not match the url for queries"):
        by_alias.refresh()  # fetches the collection, then compares its id with the URL
