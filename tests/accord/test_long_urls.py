"""``accord serve`` (gunicorn) answers the long URLs the TAXII filters need, and a TAXII 414
beyond them: gunicorn's own limit (4,094 bytes, at most 8,190) is off, the hub measures the URI
itself (``ACCORD_MAX_URL_LENGTH``). Issue 12, item 7; README "Filters and pagination"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy.orm import Session
from taxii2client.v21 import Collection

from accord.models.users import Role
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_collection, make_grant, make_team, make_user
from tests.scheduler.test_embedded import _free_port
from tests.scheduler.test_scheduler import wait_for

ACCORD = Path(sys.executable).with_name("accord")
TAXII = "application/taxii+json;version=2.1"


def indicator(number: int) -> dict[str, str]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "valid_from": "2026-01-01T00:00:00Z", "pattern_type": "stix",
            "pattern": f"[ipv4-addr:value = '198.51.{number // 250}.{number % 250}']"}


@pytest.fixture
def served(app: Flask, session: Session, tmp_path: Path) -> Iterator[str]:
    """The collection URL of a hub served by ``accord serve`` on 127.0.0.1."""
    team = make_team(session, "Lotus CERT")
    make_user(session, team, Role.ANALYST, "lan")
    collection = make_collection(session, team, "Shared")
    make_grant(session, collection, team, read=True, write=True)
    port = _free_port()
    env = {**os.environ, "ACCORD_DATABASE_URL": app.config["DATABASE_URL"],
           "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(tmp_path)}
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([str(ACCORD), "serve", "--port", str(port), "--workers", "1"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            def ready() -> bool:
                try:
                    return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).ok
                except requests.RequestException:
                    return False

            assert wait_for(ready, 60), log_path.read_text()
            yield f"http://127.0.0.1:{port}/taxii2/api/collections/{collection.id}/"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)


def test_taxii2_client_gets_100_and_500_ids_through_gunicorn(served: str) -> None:
    objects = [indicator(n) for n in range(500)]
    added = requests.post(f"{served}objects/", data=json.dumps({"objects": objects}),
                          auth=("lan", PASSWORD),
                          headers={"Content-Type": TAXII, "Accept": TAXII}, timeout=60)
    assert added.status_code == 202 and added.json()["success_count"] == 500
    collection = Collection(served, user="lan", password=PASSWORD)
    ids = [obj["id"] for obj in objects]
    hundred = collection.get_objects(id=ids[:100])
    assert sorted(obj["id"] for obj in hundred["objects"]) == sorted(ids[:100])
    everything = collection.get_objects(id=ids, limit=1000)
    assert len(everything["objects"]) == 500  # a request line of about 25 KB


def test_a_uri_over_the_limit_is_a_taxii_414_not_gunicorns_html(served: str) -> None:
    ids = ",".join(f"indicator--{uuid.uuid4()}" for _ in range(1200))  # about 57 KB
    response = requests.get(f"{served}objects/", params={"match[id]": ids},
                            auth=("lan", PASSWORD), headers={"Accept": TAXII}, timeout=60)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == TAXII
    body = response.json()
    assert body["http_status"] == "414" and "accepts at most 49152" in body["description"]
