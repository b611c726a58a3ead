"""Cyware's cytaxii2 unmodified against gunicorn (issue 19). It builds every URL by string
concatenation on discovery's ``default``, so it only works because that URL is absolute; it
speaks only HTTP Basic, so a token goes in as the password (with or without the username)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cytaxii2.cytaxii2 import cytaxii2 as CyTaxii2

from tests.taxii.interop.conftest import ALIAS, InteropHub, sample_objects


def login(hub: InteropHub, form: str) -> tuple[str, str]:
    if form == "password":
        return hub.analyst.username, hub.password
    if form == "token":
        return hub.analyst.username, hub.token
    return "", hub.token


def ok(result: dict[str, Any], status: int = 200) -> Any:
    """The JSON body of a cytaxii2 call, after checking it succeeded."""
    assert (result["status"], result["status_code"]) == (True, status), result
    return result["response"]


@pytest.mark.parametrize("form", ["password", "token", "token-without-username"])
def test_cytaxii2_round_trip(interop_hub: InteropHub, form: str) -> None:
    hub = interop_hub
    client = CyTaxii2(hub.discovery_url, *login(hub, form), version=2.1)

    discovery = ok(client.discovery_request())
    assert discovery["default"] == hub.api_root_url
    assert discovery["api_roots"] == [hub.api_root_url]
    assert ok(client.root_discovery())["versions"] == ["application/taxii+json;version=2.1"]

    listed = ok(client.collection_request())["collections"]
    assert [(c["id"], c["alias"]) for c in listed] == [(hub.collection_id, ALIAS)]
    assert ok(client.collection_data_request(ALIAS))["id"] == hub.collection_id

    sent = sample_objects()
    status = ok(client.inbox_request(ALIAS, json.dumps({"objects": sent[:5]})), 202)
    assert (status["status"], status["success_count"]) == ("complete", 5)
    second = ok(client.inbox_request(hub.collection_id, json.dumps({"objects": sent[5:]})), 202)
    assert (second["status"], second["success_count"]) == ("complete", 2)

    indicators = [o["id"] for o in sent if o["type"] == "indicator"]
    seen: list[str] = []
    sizes: list[int] = []
    page = ok(client.poll_request(hub.collection_id, limit=2, object_type="indicator"))
    for _ in range(10):  # bounded: five indicators are three pages
        seen += [o["id"] for o in page["objects"]]
        sizes.append(len(page["objects"]))
        if not page["more"]:
            break
        page = ok(client.poll_request(hub.collection_id, limit=2, object_type="indicator",
                                      next=page["next"]))
    assert (seen, sizes) == (indicators, [2, 2, 1])

    # Everything the second add stored was added after its request: the indicators were not.
    later = ok(client.poll_request(ALIAS, added_after=second["request_timestamp"]))
    assert [o["id"] for o in later["objects"]] == [o["id"] for o in sent[5:]]

    one = ok(client.poll_request(ALIAS, object_id=sent[3]["id"]))
    assert one["objects"] == [sent[3]]
