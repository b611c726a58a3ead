"""What generic HTTP tooling sees from gunicorn (issue 19): absolute URLs built from the
request's host, ``OPTIONS`` in the TAXII media type, and a status ``Location`` to follow."""

from __future__ import annotations

import requests

from tests.taxii.interop.conftest import ALIAS, InteropHub, sample_objects

TAXII = "application/taxii+json;version=2.1"


def test_urls_follow_the_host_the_client_used(interop_hub: InteropHub) -> None:
    hub = interop_hub
    headers = {"Accept": TAXII, "Authorization": f"Token {hub.token}"}
    discovery = requests.get(hub.discovery_url, headers=headers, timeout=30).json()
    assert discovery["default"] == hub.api_root_url
    named = requests.get(hub.discovery_url, timeout=30,
                         headers={**headers, "Host": "hub.partner.example:8443"}).json()
    assert named["default"] == "http://hub.partner.example:8443/taxii2/api/"

    added = requests.post(hub.collection_url(ALIAS) + "objects/", timeout=30,
                          json={"objects": sample_objects()[:1]},
                          headers={**headers, "Content-Type": TAXII})
    assert added.status_code == 202
    location = added.headers["Location"]
    assert location == f"{hub.api_root_url}status/{added.json()['id']}/"
    assert requests.get(location, headers=headers, timeout=30).json()["success_count"] == 1


def test_options_over_gunicorn(interop_hub: InteropHub) -> None:
    answer = requests.options(interop_hub.collection_url(ALIAS) + "objects/", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == TAXII
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) == \
        {"GET", "HEAD", "POST", "OPTIONS"}
    assert answer.json() == {}
