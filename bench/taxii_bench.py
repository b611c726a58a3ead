"""Benchmark: Accord's TAXII 2.1 server through taxii2-client, beside medallion 3.0.0 and OpenTAXII.

For each database (a new SQLite file and a new, uniquely named PostgreSQL database, dropped at
the end) it migrates, creates a team, a service user with a token and a collection, starts
``accord serve`` (gunicorn) on 127.0.0.1 and, through taxii2-client, measures:

- validated ingest: envelopes of 1000 indicators (objects/s per envelope, median);
- full paginated read with ``as_pages`` at page size 1000 (objects/s, median of runs);
- first-page latency (``limit`` 1000 and 100) and get-object latency (median of requests, ms);
- server RSS (VmRSS of the gunicorn master plus workers, max seen while serving).

Latencies and read rates are measured at each size of ``--sizes``. Up to ``--http-n`` objects
go in through HTTP; the rest of a larger size is bulk-loaded in-process with
``accord.sharing.ingest.add_objects(validate=False)`` (same rows, no stix2 validation). The same
workload then runs against medallion 3.0.0 (memory backend, one gunicorn worker, its own venv)
with ``--medallion-n`` objects, since its memory backend is quadratic in the collection size, and
against OpenTAXII 0.10.0b1 (SQLite persistence, validates adds with stix2, gunicorn with the same
worker count, its own venv: ``--opentaxii-venv``) with ``--opentaxii-n`` objects. Each stage
records the 1-minute load average, since the machine may be shared.

    .venv/bin/python bench/taxii_bench.py [--databases sqlite,postgresql]
        [--sizes 10000,100000,1000000] [--http-n 100000] [--medallion-n 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from taxii2client.v21 import Collection, as_pages  # noqa: E402

from accord.assembly import create_app  # noqa: E402
from accord.db import database  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.collections import Collection as CollectionRow  # noqa: E402
from accord.models.users import Role  # noqa: E402
from accord.services import collections, teams, tokens, users  # noqa: E402
from accord.sharing.ingest import Author, add_objects  # noqa: E402
from accord.tlp import Tlp, marking_ref  # noqa: E402
from bench.taxii_servers import (  # noqa: E402
    MEDALLION_PASSWORD,
    MEDALLION_USER,
    OPENTAXII_PASSWORD,
    OPENTAXII_USER,
    RssSampler,
    ServerProcess,
    accord_server,
    medallion_server,
    opentaxii_collection_url,
    opentaxii_server,
)
from feeds.remote import BearerAuth  # noqa: E402

SECRET = "taxii-benchmark-secret-key-long-enough"
ENVELOPE = 1000
PAGE = 1000
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
COLLECTION_TITLE = "Bench indicators"
LOADER = "bench-loader"
Maker = Callable[[int, int], list[dict[str, Any]]]


def indicators(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` valid, TLP:GREEN STIX 2.1 indicators numbered from ``start``."""
    stamp = "2026-05-01T00:00:00.000Z"
    return [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
             "created": stamp, "modified": stamp, "name": f"host {i}", "pattern_type": "stix",
             "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']",
             "valid_from": stamp, "object_marking_refs": [marking_ref(Tlp.GREEN)]}
            for i in range(start, start + count)]


def median_ms(call: Callable[[], Any], requests: int) -> float:
    """Median wall time of ``call`` in ms over ``requests`` calls (after one warm-up)."""
    call()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Workload:
    """The client side, identical for both servers: ingest, full read, latencies."""

    def __init__(self, client: Collection, page: int, make: Maker = indicators) -> None:
        self.client, self.page, self.make = client, page, make
        self.loaded = 0
        self.ingest_rates: list[float] = []
        self.ingest_load = 0.0
        self.sample_ids: list[str] = []

    def remember(self, objects: list[dict[str, Any]]) -> None:
        """Keep a small random sample of stored ids for get-object requests."""
        self.sample_ids += [obj["id"] for obj in random.sample(objects, min(20, len(objects)))]
        if len(self.sample_ids) > 2000:
            self.sample_ids = random.sample(self.sample_ids, 1000)

    def ingest(self, target: int) -> None:
        """POST envelopes of 1000 until ``target`` objects are stored."""
        while self.loaded < target:
            objects = self.make(self.loaded, min(ENVELOPE, target - self.loaded))
            started = time.perf_counter()
            status = self.client.add_objects({"objects": objects})
            elapsed = time.perf_counter() - started
            assert status.success_count == len(objects), (status.success_count, status.failures)
            self.ingest_rates.append(len(objects) / elapsed)
            self.ingest_load = os.getloadavg()[0]
            self.loaded += len(objects)
            self.remember(objects)

    def full_read(self) -> float:
        """objects/s of one ``as_pages`` walk over the whole collection."""
        started = time.perf_counter()
        count = sum(len(page.get("objects", []))
                    for page in as_pages(self.client.get_objects, per_request=self.page))
        elapsed = time.perf_counter() - started
        assert count == self.loaded, f"read {count} of {self.loaded}"
        return count / elapsed

    def latencies(self, requests: int, first_page_requests: int) -> dict[str, float]:
        ids = iter(random.choices(self.sample_ids, k=requests + 1))
        figures = {
            f"first_page_{limit}_ms": median_ms(lambda lim=limit: self._first_page(lim),
                                                first_page_requests)
            for limit in sorted({self.page, 100}, reverse=True)}
        figures["get_object_ms"] = median_ms(lambda: self._get_object(next(ids)), requests)
        return figures

    def _first_page(self, limit: int) -> None:
        body = self.client.get_objects(limit=limit)
        assert len(body["objects"]) == min(limit, self.loaded)

    def _get_object(self, stix_id: str) -> None:
        body = self.client.get_object(stix_id)
        assert body["objects"][0]["id"] == stix_id

    def stage(self, size: int, read_runs: int, requests: int, first_page_requests: int
              ) -> dict[str, Any]:
        reads = [self.full_read() for _ in range(read_runs)]
        return {"size": size, "read_objs_s": statistics.median(reads), "read_runs": read_runs,
                **self.latencies(requests, first_page_requests),
                "load": os.getloadavg()[0], "ingest_load": self.ingest_load}


@contextmanager
def postgres_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database, dropped afterwards."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"accord_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class AccordHub:
    """A migrated hub database with one team, a service user's token and a collection.

    On a database that already holds them (a kept benchmark database) it migrates, finds them
    and issues a new token, so the stored objects are measured again without reloading.
    """

    def __init__(self, database_url: str, instance: Path) -> None:
        self.app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url,
                               "INSTANCE_PATH": str(instance)})
        upgrade(self.app)
        with database(self.app).sessionmaker() as session:
            collection = session.scalars(sa.select(CollectionRow).where(
                CollectionRow.title == COLLECTION_TITLE)).first()
            if collection is None:
                team = teams.create_team(session, "CERT-Bench", "VN")
                collection = collections.create_collection(session, COLLECTION_TITLE, team.name)
                collections.grant(session, str(collection.id), team.name, True, True, Tlp.AMBER)
                users.create_user(session, LOADER, team.name, Role.SERVICE, None)
            token, self.token = tokens.create_token(session, LOADER, "bench", ["read", "write"])
            session.commit()
            self.collection_id = collection.id
            self.author = Author(token.user.team_id, token.user.id, token.id)

    def bulk_load(self, workload: Workload, target: int, batch: int = 5000) -> float:
        """Load rows in-process up to ``target`` (no validation), one session per batch, then
        ANALYZE on PostgreSQL; returns seconds."""
        started = time.perf_counter()
        sessions = database(self.app).sessionmaker
        while workload.loaded < target:
            objects = workload.make(workload.loaded, min(batch, target - workload.loaded))
            with sessions() as session:
                collection = session.get(CollectionRow, self.collection_id)
                assert collection is not None
                result = add_objects(session, collection, objects, self.author, validate=False)
                assert result.stored == len(objects), (result.stored, result.failures[:3])
                session.commit()
            workload.loaded += len(objects)
            workload.remember(objects)
        self.analyze()
        return time.perf_counter() - started

    def analyze(self) -> None:
        """Refresh PostgreSQL's planner statistics, as autovacuum does after a big change (this
        machine's PostgreSQL runs with autovacuum off: without statistics the planner sorts the
        whole collection for a first page instead of walking the date index)."""
        with database(self.app).sessionmaker() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(sa.text("ANALYZE stix_objects"))
                session.commit()


def run_accord(kind: str, database_url: str, workdir: Path, args: argparse.Namespace
               ) -> dict[str, Any]:
    instance = workdir / f"instance-{kind}"
    instance.mkdir()
    hub = AccordHub(database_url, instance)
    server, base = accord_server(database_url, SECRET, instance, args.workers, args.threads)
    result: dict[str, Any] = {"server": f"Accord ({kind})", "stages": [], "bulk_s": 0.0}
    with server, RssSampler(server.pid) as rss:
        client = Collection(f"{base}/taxii2/api/collections/{hub.collection_id}/",
                            auth=BearerAuth(hub.token))
        workload = Workload(client, PAGE)
        for size in args.sizes:
            started = time.perf_counter()
            workload.ingest(min(size, args.http_n))
            http_s = time.perf_counter() - started
            if workload.loaded < size:
                bulk_s = hub.bulk_load(workload, size)
            else:
                bulk_s = 0.0
                hub.analyze()
            result["bulk_s"] += bulk_s
            print(f"  {kind}: {workload.loaded:,} stored (HTTP stage {http_s:.1f} s, "
                  f"bulk {bulk_s:.1f} s); measuring", flush=True)
            runs = args.read_runs if size <= 100_000 else 1
            stage = workload.stage(size, runs, args.requests, args.requests)
            result["stages"].append(stage)
            print(f"  {kind}: {format_stage(stage)} [load average {os.getloadavg()[0]:.1f}]",
                  flush=True)
        result.update(http_n=len(workload.ingest_rates) * ENVELOPE,
                      ingest=ingest_figures(workload.ingest_rates),
                      **memory_figures(rss))
    database(hub.app).engine.dispose()
    return result


def run_peer(name: str, server: ServerProcess, client: Collection, n: int, page: int,
             args: argparse.Namespace) -> dict[str, Any]:
    """The same workload against a peer server: ``n`` objects, then one measuring stage."""
    with server, RssSampler(server.pid) as rss:
        workload = Workload(client, page)
        workload.ingest(n)
        stage = workload.stage(n, args.read_runs, args.requests, args.peer_first_page_requests)
        print(f"  {name}: {format_stage(stage)} [load average {os.getloadavg()[0]:.1f}]",
              flush=True)
        return {"server": name, "stages": [stage], "http_n": workload.loaded,
                "ingest": ingest_figures(workload.ingest_rates), **memory_figures(rss)}


def run_medallion(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    mdir = workdir / "medallion"
    mdir.mkdir()
    server, url = medallion_server(Path(args.medallion_venv), mdir, args.medallion_page)
    client = Collection(url, user=MEDALLION_USER, password=MEDALLION_PASSWORD)
    return run_peer("medallion 3.0.0 (memory)", server, client, args.medallion_n,
                    args.medallion_page, args)


def run_opentaxii(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    odir = workdir / "opentaxii"
    odir.mkdir()
    server, root = opentaxii_server(Path(args.opentaxii_venv), odir, args.workers)
    with server:  # started once to read the collection id, then measured
        url = opentaxii_collection_url(root)
    client = Collection(url, user=OPENTAXII_USER, password=OPENTAXII_PASSWORD)
    return run_peer("OpenTAXII 0.10.0b1 (SQLite)", server, client, args.opentaxii_n, PAGE, args)


def memory_figures(rss: RssSampler) -> dict[str, float]:
    return {"rss_total_mb": rss.max_total_kib / 1024, "rss_process_mb": rss.max_process_kib / 1024,
            "pss_total_mb": rss.max_pss_kib / 1024}


def ingest_figures(rates: list[float]) -> dict[str, float]:
    return {"median": statistics.median(rates), "first": rates[0], "last": rates[-1]}


def format_stage(stage: dict[str, Any]) -> str:
    pages = ", ".join(f"first page limit {key.split('_')[2]} {value:.1f} ms"
                      for key, value in stage.items() if key.startswith("first_page_"))
    return (f"N={stage['size']:,}: full read {stage['read_objs_s']:,.0f} obj/s "
            f"(median of {stage['read_runs']}), {pages}, get-object "
            f"{stage['get_object_ms']:.1f} ms; load {stage['load']:.1f} "
            f"(after ingest {stage['ingest_load']:.1f})")


def report(results: list[dict[str, Any]], peers: list[dict[str, Any]]) -> None:
    print("\n== results (medians) ==")
    for res in [*results, *peers]:
        ing = res["ingest"]
        print(f"{res['server']}: ingest {ing['median']:,.0f} obj/s over {res['http_n']:,} objects "
              f"by HTTP (first envelope {ing['first']:,.0f}, last {ing['last']:,.0f}); "
              f"server RSS max {res['rss_total_mb']:.0f} MB total, "
              f"{res['rss_process_mb']:.0f} MB largest process, "
              f"PSS max {res['pss_total_mb']:.0f} MB total")
        for stage in res["stages"]:
            print(f"    {format_stage(stage)}")
    for peer in peers:
        pstage = peer["stages"][0]
        print(f"\nratios vs {peer['server']} (its N={pstage['size']:,}, page "
              f"{args_page(pstage)}; rates are per object):")
        for res in results:
            stage = min(res["stages"], key=lambda s: abs(s["size"] - pstage["size"]))
            print(f"  {res['server']} at N={stage['size']:,}: ingest "
                  f"{res['ingest']['median'] / peer['ingest']['median']:.1f}x, full read "
                  f"{stage['read_objs_s'] / pstage['read_objs_s']:.1f}x, first page (limit 100) "
                  f"{pstage['first_page_100_ms'] / stage['first_page_100_ms']:.1f}x faster, "
                  f"get-object {pstage['get_object_ms'] / stage['get_object_ms']:.1f}x faster")


def args_page(stage: dict[str, Any]) -> str:
    return "/".join(key.split("_")[2] for key in stage if key.startswith("first_page_"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        type=lambda v: sorted(int(s) for s in v.split(",")))
    parser.add_argument("--http-n", type=int, default=100_000,
                        help="objects loaded through HTTP; larger sizes are bulk-loaded")
    parser.add_argument("--read-runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--medallion-venv", default="/tmp/venv-medallion")
    parser.add_argument("--medallion-n", type=int, default=2000)
    parser.add_argument("--medallion-page", type=int, default=1000,
                        help="medallion's max_page_size (its default is 100)")
    parser.add_argument("--peer-first-page-requests", type=int, default=5)
    parser.add_argument("--no-medallion", action="store_true")
    parser.add_argument("--opentaxii-venv", default="/tmp/venv-opentaxii")
    parser.add_argument("--opentaxii-n", type=int, default=1000)
    parser.add_argument("--no-opentaxii", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-taxii-"))
    print(f"workdir {workdir}; sizes {args.sizes}; HTTP ingest up to {args.http_n:,}; "
          f"gunicorn {args.workers} workers x {args.threads} threads", flush=True)
    results: list[dict[str, Any]] = []
    try:
        for kind in args.databases.split(","):
            if kind == "sqlite":
                results.append(run_accord(kind, f"sqlite:///{workdir / 'bench.sqlite3'}",
                                          workdir, args))
            else:
                with postgres_database() as url:
                    results.append(run_accord(kind, url, workdir, args))
        peers = [run(workdir, args) for run, skip in ((run_medallion, args.no_medallion),
                                                      (run_opentaxii, args.no_opentaxii))
                 if not skip]
    except BaseException:
        for log in workdir.glob("*/server.log"):
            print(f"--- {log} (last lines) ---\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, peers)


if __name__ == "__main__":
    main()
