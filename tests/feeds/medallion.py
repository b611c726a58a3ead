"""medallion 3.0.0 (the OASIS reference TAXII 2.1 server) as a foreign remote for feed tests.

It is installed with the test extras (``pip install -e '.[test]'``), beside Accord; nothing is
installed while the tests run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

VERSION = "3.0.0"
USER, PASSWORD = "admin", "Password0"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def ensure_installed() -> Path:
    """The medallion executable of this environment; fails clearly if the extras are missing."""
    executable = Path(sys.executable).with_name("medallion")
    if not executable.exists():
        raise RuntimeError(f"medallion {VERSION} is not installed beside {sys.executable}: "
                           "install the test extras (pip install -e '.[test]')")
    return executable


def _medallion_environment() -> dict[str, str]:
    """Our environment without ``FLASK_RUN_FROM_CLI``: Flask's CLI (``accord`` commands run
    in-process by other tests) sets it, and medallion's ``app.run()`` then returns at once."""
    return {key: value for key, value in os.environ.items() if key != "FLASK_RUN_FROM_CLI"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Medallion:
    """One medallion process on 127.0.0.1 with one read/write collection."""

    def __init__(self, workdir: Path, objects: list[dict[str, Any]]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        start = datetime.now(UTC) - timedelta(days=1)
        manifest = [{"id": obj["id"], "date_added": _stamp(start + timedelta(milliseconds=i)),
                     "version": obj["modified"], "media_type": "application/stix+json;version=2.1"}
                    for i, obj in enumerate(objects)]
        data = {
            "/discovery": {"title": "medallion", "description": "feeds test",
                           "default": f"{self.url}/api1/", "api_roots": [f"{self.url}/api1/"]},
            "api1": {
                "information": {"title": "api1", "description": "",
                                "versions": ["application/taxii+json;version=2.1"],
                                "max_content_length": 10485760},
                "status": [],
                "collections": [{"id": COLLECTION, "title": "Indicators", "description": "",
                                 "can_read": True, "can_write": True,
                                 "media_types": ["application/stix+json;version=2.1"],
                                 "objects": objects, "manifest": manifest}],
            },
        }
        (workdir / "data.json").write_text(json.dumps(data))
        config = {"backend": {"module": "medallion.backends.memory_backend",
                              "module_class": "MemoryBackend",
                              "filename": str(workdir / "data.json")},
                  "users": {USER: PASSWORD}, "taxii": {"max_page_size": 100}}
        (workdir / "config.json").write_text(json.dumps(config))
        self.log = (workdir / "medallion.log").open("wb")
        self.process = subprocess.Popen(
            [str(ensure_installed()), "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "WARN", str(workdir / "config.json")],
            stdout=self.log, stderr=subprocess.STDOUT, env=_medallion_environment())
        try:
            self._wait()
        except RuntimeError:
            self.log.close()
            raise

    def _wait(self) -> None:
        """Wait for medallion to answer (slow to start on a loaded machine); fail if it died."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"medallion exited: {self.log.name}")
            try:
                requests.get(f"{self.url}/taxii2/", auth=(USER, PASSWORD), timeout=1,
                             headers={"Accept": "application/taxii+json;version=2.1"})
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("medallion did not start within 120 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()
