"""A hub served by gunicorn (``accord serve`` in a subprocess on 127.0.0.1) for third-party
TAXII 2.1 clients, and the partner data each interop test starts from (issue 19).

The Flask test client and the in-thread server cannot show what clients meet in the field:
a real WSGI server, real sockets, the absolute URLs discovery hands out. One gunicorn serves
the whole run; each test gets fresh rows (the ``app`` fixture empties the tables after it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import stix2
from flask import Flask
from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.users import Role, User
from accord.tlp import Tlp
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_collection, make_team, make_token, make_user
from tests.scheduler.test_embedded import ACCORD, _free_port
from tests.scheduler.test_scheduler import wait_for

ALIAS = "partner-indicators"


@dataclass
class Gunicorn:
    """``accord serve`` running on 127.0.0.1:port."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def gunicorn(_migrated_app: Flask, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Gunicorn]:
    """One gunicorn worker (4 threads) on the test database, stopped with SIGTERM at the end."""
    folder = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ACCORD_", "FLASK_"))}
    env.update({"ACCORD_DATABASE_URL": _migrated_app.config["DATABASE_URL"],
                "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(folder)})
    log_path = folder / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ACCORD), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--threads", "4", "--no-scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            return True  # exited: stop waiting, the assertion below shows the log
        try:
            return requests.get(f"{url}/readyz", timeout=2).ok
        except requests.RequestException:
            return False

    try:
        assert wait_for(ready, 60) and process.poll() is None, log_path.read_text()
        yield Gunicorn(url, process, log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


@dataclass
class InteropHub:
    """One analyst, its API token and its team's aliased collection on the gunicorn hub."""

    url: str
    analyst: User
    token: str  # the analyst's API token, read and write
    collection: Collection

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def api_root_url(self) -> str:
        return f"{self.url}/taxii2/api/"

    @property
    def collection_id(self) -> str:
        return str(self.collection.id)

    def collection_url(self, ref: str | None = None) -> str:
        return f"{self.api_root_url}collections/{ref or self.collection_id}/"

    @property
    def password(self) -> str:
        return PASSWORD


@pytest.fixture
def interop_hub(app: Flask, session: Session, gunicorn: Gunicorn) -> InteropHub:
    owner = make_team(session, "CERT-VN", "VN")
    analyst = make_user(session, owner, Role.ANALYST, username="lan")
    _, secret = make_token(session, analyst, ("read", "write"))
    collection = make_collection(session, owner, "Partner indicators", alias=ALIAS,
                                 default_tlp=Tlp.GREEN)
    return InteropHub(gunicorn.url, analyst, secret, collection)


def sample_objects() -> list[dict[str, Any]]:
    """Five TLP:GREEN indicators then two malware objects, as plain STIX 2.1 JSON."""
    indicators = [stix2.Indicator(
        name=f"C2 host 198.51.100.{n}", description=f"Beacon target {n}",
        pattern=f"[ipv4-addr:value = '198.51.100.{n}']", pattern_type="stix",
        pattern_version="2.1", valid_from="2026-11-01T08:00:00Z",
        object_marking_refs=[stix2.TLP_GREEN]) for n in range(1, 6)]
    malware = [stix2.Malware(name=f"Loader {n}", is_family=False,
                             object_marking_refs=[stix2.TLP_GREEN]) for n in range(1, 3)]
    return [json.loads(obj.serialize()) for obj in [*indicators, *malware]]
