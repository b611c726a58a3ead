"""The demo hub ships shared indicators at every TLP, and each demo user sees its own slice."""

from __future__ import annotations

from collections import Counter

import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection as TaxiiCollection
from taxii2client.v21 import as_pages

from accord.assembly.demo import DEMO_PASSWORD, seed_demo
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.tlp import effective_tlp
from tests.conftest import LiveServer


def _visible(live_server: LiveServer, collection: Collection, username: str) -> Counter[str]:
    url = f"{live_server.url}/taxii2/api/collections/{collection.id}/"
    client = TaxiiCollection(url, user=username, password=DEMO_PASSWORD)
    objects = [o for page in as_pages(client.get_objects, per_request=100)
               for o in page.get("objects", [])]
    return Counter(effective_tlp(o, collection.default_tlp).value for o in objects)


def test_demo_indicators_are_shared_and_tlp_filtered(app: Flask, live_server: LiveServer,
                                                     session: Session) -> None:
    seed_demo(app)
    shared = session.scalar(select(Collection).where(Collection.alias == "partner-indicators"))
    response = session.scalar(select(Collection).where(Collection.alias == "lotus-ir"))
    assert shared is not None and response is not None
    assert session.scalar(select(func.count()).select_from(StixObject).where(
        StixObject.collection_id.in_([shared.id, response.id]))) == 11
    # Lotus shared CLEAR..AMBER+STRICT and sees all of it; Andes is granted GREEN only.
    assert _visible(live_server, shared, "lan") == Counter(
        {"green": 4, "amber": 3, "amber+strict": 1, "clear": 1})
    assert _visible(live_server, shared, "valentina") == Counter(
        {"green": 4, "clear": 1, "amber": 1})  # its own AMBER indicator, plus what GREEN allows
    # Baltic is granted RED on the incident collection; Andes has no grant there at all.
    assert _visible(live_server, response, "kristjan") == Counter({"red": 1, "amber": 1})
    hidden = requests.get(f"{live_server.url}/taxii2/api/collections/{response.id}/",
                          auth=("valentina", DEMO_PASSWORD), timeout=10,
                          headers={"Accept": "application/taxii+json;version=2.1"})
    assert hidden.status_code == 404
