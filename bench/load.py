"""Load test: C concurrent clients for S seconds mixing TAXII reads and writes, against one
`accord serve` node and against three nodes behind nginx, on PostgreSQL. Loopback only,
bounded in time. Prints throughput, p50/p95/p99 latency and errors per configuration.

    .venv/bin/python bench/load.py --clients 100 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from accord.assembly import create_app  # noqa: E402
from accord.db import database, job_session  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.users import Role  # noqa: E402
from accord.services import collections, teams, tokens, users  # noqa: E402
from accord.sharing.ingest import Author, add_objects  # noqa: E402
from bench.cluster import Cluster, code_of  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
SECRET = "load-bench-secret-key-long-enough"


def indicator(tag: str, n: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-01T08:00:00.000Z", "modified": "2026-11-01T08:00:00.000Z",
            "name": f"{tag} {n}", "pattern": f"[domain-name:value = '{tag}-{n}.example']",
            "pattern_type": "stix", "valid_from": "2026-11-01T08:00:00Z"}


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1


def client(base: str, collection: str, token: str, ids: list[str], stop: threading.Event,
           tally: Tally, seed: int) -> None:
    """One client: 80 % reads (first page, get object, added_after), 20 % writes of 10."""
    rng = random.Random(seed)
    http = requests.Session()
    headers = {"Accept": TAXII, "Authorization": f"Bearer {token}"}
    objects = f"{base}/taxii2/api/collections/{collection}/objects/"
    n = 0
    while not stop.is_set():
        roll = rng.random()
        start = time.perf_counter()
        try:
            if roll < 0.2:
                kind = "write"
                batch = [indicator(f"c{seed}", n + i) for i in range(10)]
                n += 10
                response = http.post(objects, json={"objects": batch}, timeout=30,
                                     headers={**headers, "Content-Type": TAXII})
                ok = response.status_code == 202
            elif roll < 0.5:
                kind = "first page"
                response = http.get(objects, params={"limit": "100"}, headers=headers,
                                    timeout=30)
                ok = response.status_code == 200
            elif roll < 0.8:
                kind = "get object"
                response = http.get(f"{objects}{rng.choice(ids)}/", headers=headers,
                                    timeout=30)
                ok = response.status_code == 200
            else:
                kind = "added_after"
                response = http.get(objects, params={"limit": "100",
                                                     "added_after": "2026-01-01T00:00:00Z"},
                                    headers=headers, timeout=30)
                ok = response.status_code == 200
        except requests.RequestException:
            kind, ok = "connection", False
        tally.note(kind, time.perf_counter() - start, ok)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_load(label: str, base: str, collection: str, token: str, ids: list[str],
             clients: int, seconds: float) -> None:
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=client, args=(base, collection, token, ids, stop,
                                                     tally, n), daemon=True)
               for n in range(clients)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - started
    every = [v for values in tally.latencies.values() for v in values]
    errors = sum(tally.errors.values())
    print(f"\n{label}: {clients} clients, {elapsed:.0f} s, load {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  {len(every)} requests, {len(every) / elapsed:.0f} req/s, {errors} errors; "
          f"p50 {statistics.median(every) * 1000:.0f} ms, "
          f"p95 {percentile(every, 0.95) * 1000:.0f} ms, "
          f"p99 {percentile(every, 0.99) * 1000:.0f} ms")
    for kind, values in sorted(tally.latencies.items()):
        print(f"  {kind:<11} {len(values):>6} req  p50 {statistics.median(values) * 1000:6.0f} ms"
              f"  p99 {percentile(values, 0.99) * 1000:6.0f} ms  errors "
              f"{tally.errors.get(kind, 0)}")


def seed(url: str, instance: Path, preload: int) -> tuple[str, str, list[str]]:
    """A migrated hub with one team, collection and service token, and ``preload`` objects
    stored through the hub's own write path; returns (collection id, token, object ids)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "INSTANCE_PATH": str(instance)})
    upgrade(app)
    objects = [indicator("pre", n) for n in range(preload)]
    with job_session(app) as session:
        teams.create_team(session, "CERT-VN", "VN", "soc@cert.example", "UTC")
        users.create_user(session, "load", "CERT-VN", Role.SERVICE, None)
        collection = collections.create_collection(session, "Load", "CERT-VN", "bench")
        collections.grant(session, str(collection.id), "CERT-VN", True, True, "amber")
        _, token = tokens.create_token(session, "load", "bench", ["read", "write"])
        session.flush()
        add_objects(session, collection, objects, Author(team_id=collection.owner_team_id))
        collection_id = str(collection.id)
    with job_session(app) as session:
        # Planner statistics, as autovacuum keeps them (this machine's PostgreSQL runs with
        # autovacuum off; without statistics a first page sorts the whole collection).
        session.execute(sa.text("ANALYZE"))
    database(app).engine.dispose()
    return collection_id, token, [obj["id"] for obj in objects]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--preload", type=int, default=5000)
    parser.add_argument("--nodes", default="1,3", help="node counts to run, e.g. 1 or 1,3")
    parser.add_argument("--node-workers", default="2,1", metavar="W1,W3",
                        help="gunicorn workers per node with one node and with several (one "
                             "node runs as `accord serve` does by default, 2 workers; three "
                             "nodes on two cores get one each)")
    parser.add_argument("--server-tree", type=Path, default=None, metavar="DIR",
                        help="serve the code of another Accord checkout (before/after runs)")
    parser.add_argument("--admin-url", default=os.environ.get(
        "ACCORD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    admin = sa.create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    name = f"accord_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="accord-load-"))
    try:
        collection, token, ids = seed(url, work / "seed", args.preload)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        env.update(ACCORD_DATABASE_URL=url, ACCORD_SECRET_KEY=SECRET)
        if args.server_tree is not None:
            env.update(code_of(args.server_tree.resolve()))
        single, several = (int(w) for w in args.node_workers.split(","))
        for nodes in (int(n) for n in args.nodes.split(",")):
            cluster = Cluster(work / f"n{nodes}", env)
            cluster.workdir.mkdir()
            try:
                workers = single if nodes == 1 else several
                cluster.start(nodes=nodes, workers=workers)
                label = f"{nodes} node(s) of {workers} worker(s) x 4 threads behind nginx"
                run_load(label, cluster.url, collection, token, ids, args.clients,
                         args.seconds)
            finally:
                cluster.stop()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    main()
