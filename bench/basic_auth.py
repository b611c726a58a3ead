"""Benchmark: TAXII GETs with HTTP Basic (password) authentication, without and with the
cache of successful password checks (issue 12, ``ACCORD_CREDENTIAL_CACHE_SECONDS``).

TAXII clients (taxii2-client, OpenCTI and MISP connectors) send Basic credentials on every
page; without the cache every request pays an argon2 verification. This migrates a fresh
SQLite database (or ``--database-url``), adds a user with a password and a collection of 100
indicators, then for each setting starts ``accord serve`` (gunicorn, 2 workers x 4 threads) on
127.0.0.1 and times ``--requests`` sequential ``GET objects/?limit=10`` with Basic auth.

    .venv/bin/python bench/basic_auth.py [--requests 50] [--database-url URL]

Prints the median (and 90th percentile) request time for each setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from accord.assembly import create_app  # noqa: E402
from accord.db import database  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.collections import Collection  # noqa: E402
from accord.models.users import Role  # noqa: E402
from accord.services import collections, teams, users  # noqa: E402
from accord.sharing.ingest import Author, add_objects  # noqa: E402
from accord.tlp import Tlp  # noqa: E402
from bench.taxii_bench import indicators  # noqa: E402
from bench.taxii_servers import accord_server  # noqa: E402

SECRET = "benchmark-secret-key-long-enough"
USERNAME, PASSWORD = "bench-analyst", "bench-password-123"
TAXII = "application/taxii+json;version=2.1"


def prepare(database_url: str, instance: Path) -> str:
    """Migrate, create a team, a user with a password and a collection of 100 indicators."""
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url,
                      "INSTANCE_PATH": str(instance)})
    upgrade(app)
    with database(app).sessionmaker() as session:
        team = teams.create_team(session, "CERT-Bench", "VN")
        collection = collections.create_collection(session, "Bench indicators", team.name)
        collections.grant(session, str(collection.id), team.name, True, True, Tlp.AMBER)
        user = users.create_user(session, USERNAME, team.name, Role.ANALYST, PASSWORD)
        session.commit()
        row = session.get(Collection, collection.id)
        assert row is not None
        add_objects(session, row, indicators(0, 100), Author(team.id, user.id, None),
                    validate=False)
        session.commit()
        collection_id = str(collection.id)
    database(app).engine.dispose()
    return collection_id


def measure(database_url: str, instance: Path, collection_id: str, cache_seconds: int,
            count: int) -> list[float]:
    """Milliseconds of ``count`` sequential Basic-auth TAXII GETs against a fresh server."""
    saved = os.environ.get("ACCORD_CREDENTIAL_CACHE_SECONDS")
    os.environ["ACCORD_CREDENTIAL_CACHE_SECONDS"] = str(cache_seconds)
    try:
        server, base = accord_server(database_url, SECRET, instance, workers=2, threads=4)
    finally:
        if saved is None:
            os.environ.pop("ACCORD_CREDENTIAL_CACHE_SECONDS")
        else:
            os.environ["ACCORD_CREDENTIAL_CACHE_SECONDS"] = saved
    server.auth = (USERNAME, PASSWORD)
    url = f"{base}/taxii2/api/collections/{collection_id}/objects/?limit=10"
    times: list[float] = []
    with server, requests.Session() as http:
        http.auth = (USERNAME, PASSWORD)
        http.headers["Accept"] = TAXII
        for _ in range(count):
            started = time.perf_counter()
            response = http.get(url, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-basic-bench-") as work:
        instance = Path(work)
        url = args.database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
        collection_id = prepare(url, instance)
        for label, seconds in (("before (no cache)", 0), ("after (60 s cache)", 60)):
            times = measure(url, instance, collection_id, seconds, args.requests)
            p90 = statistics.quantiles(times, n=10)[-1]
            print(f"{label:20} {args.requests} GETs: median {statistics.median(times):7.1f} ms, "
                  f"p90 {p90:7.1f} ms, first {times[0]:7.1f} ms "
                  f"[load average {os.getloadavg()[0]:.1f}]", flush=True)


if __name__ == "__main__":
    main()
