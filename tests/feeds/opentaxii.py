"""OpenTAXII 0.10.0b1 (EclecticIQ's TAXII server) as a foreign peer for feed interop tests.

It needs SQLAlchemy < 2, so it cannot share Accord's environment: ``make install-test`` (and
so CI) builds its own virtualenv *before* the tests run (``make peers``). The tests find it at
``$ACCORD_OPENTAXII_VENV`` or ``.venv-opentaxii`` in the repository, and fail with that hint if
it is missing; nothing is installed while tests run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import requests

VERSION = "0.10.0b1"
USER, PASSWORD = "accord", "opentaxii-test-password"
ROOT = Path(__file__).resolve().parents[2]

BOOTSTRAP = """
import json
from opentaxii.cli import app
with app.app_context():
    api = app.taxii_server.servers.taxii2.persistence.api
    root = api.add_api_root(title="accord-tests", default=True, is_public=False)
    collection = api.add_collection(api_root_id=str(root.id), title="Indicators",
                                    is_public=False, is_public_write=False)
    app.taxii_server.auth.api.create_account(username={user!r}, password={password!r},
                                             is_admin=True)
    print(json.dumps({{"root": str(root.id), "collection": str(collection.id)}}))
"""
SERVE = """
import sys
from opentaxii.cli import app
app.debug = False
app.run(host="127.0.0.1", port=int(sys.argv[1]), use_reloader=False)
"""


def python() -> Path:
    """The OpenTAXII environment's interpreter; a clear failure if it was not built."""
    venv = Path(os.environ.get("ACCORD_OPENTAXII_VENV") or ROOT / ".venv-opentaxii")
    executable = venv / "bin" / "python"
    if not (venv / ".installed").exists() or not executable.exists():
        raise RuntimeError(f"OpenTAXII {VERSION} is not installed at {venv}: run `make peers` "
                           "(part of `make install-test`) before the tests")
    return executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OpenTaxii:
    """One OpenTAXII process on 127.0.0.1 with one API root and one collection."""

    def __init__(self, workdir: Path) -> None:
        interpreter = python()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = f"sqlite:///{workdir / 'opentaxii.db'}"
        config = {
            "domain": f"127.0.0.1:{self.port}",
            "support_basic_auth": True,
            "return_server_error_details": True,
            "auth_api": {"class": "opentaxii.auth.sqldb.SQLDatabaseAPI",
                         "parameters": {"db_connection": database, "create_tables": True,
                                        "secret": "accord-interop-test-secret",
                                        "token_ttl_secs": 3600}},
            "taxii1": None,
            "taxii2": {"persistence_api": {
                "class": "opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI",
                "parameters": {"db_connection": database, "create_tables": True}},
                "title": "OpenTAXII (Accord interop)", "public_discovery": True,
                "max_content_length": 2_000_000},
            "logging": {"opentaxii": "warning", "root": "warning"},
        }
        config_path = workdir / "opentaxii.yml"
        config_path.write_text(json.dumps(config))  # JSON is YAML
        env = {**{k: v for k, v in os.environ.items() if k != "FLASK_RUN_FROM_CLI"},
               "OPENTAXII_CONFIG": str(config_path)}
        made = subprocess.run([str(interpreter), "-c",
                               BOOTSTRAP.format(user=USER, password=PASSWORD)],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        if made.returncode != 0:
            raise RuntimeError(f"OpenTAXII bootstrap failed: {made.stderr[-2000:]}")
        ids = json.loads(made.stdout.strip().splitlines()[-1])
        self.api_root, self.collection = ids["root"], ids["collection"]
        self.log = (workdir / "opentaxii.log").open("wb")
        self.process = subprocess.Popen([str(interpreter), "-c", SERVE, str(self.port)],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            self._wait()
        except RuntimeError:
            self.stop()
            raise

    @property
    def discovery(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def collection_url(self) -> str:
        return f"{self.url}/taxii2/{self.api_root}/collections/{self.collection}/"

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OpenTAXII exited: {self.log.name}")
            try:
                requests.get(self.discovery, timeout=1,
                             headers={"Accept": "application/taxii+json;version=2.1"})
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("OpenTAXII did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()
