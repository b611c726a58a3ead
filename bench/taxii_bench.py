"""Benchmark: Accord's TAXII 2.1 server through taxii2-client, side by side with medallion 3.0.0.

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
with ``--medallion-n`` objects, since its memory backend is quadratic in the collection size.

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
    RssSampler,
    accord_server,
    medallion_server,
)
from feeds.remote import BearerAuth  # noqa: E402

SECRET = "taxii-benchmark-secret-key-long-enough"
ENVELOPE = 1000
PAGE = 1000
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


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

    def __init__(self, client: Collection, page: int) -> None:
        self.client, self.page = client, page
        self.loaded = 0
        self.ingest_rates: list[float] = []
        self.sample_ids: list[str] = []

    def remember(self, objects: list[dict[str, Any]]) -> None:
        """Keep a small random sample of stored ids for get-object requests."""
        self.sample_ids += [obj["id"] for obj in random.sample(objects, min(20, len(objects)))]
        if len(self.sample_ids) > 2000:
            self.sample_ids = random.sample(self.sample_ids, 1000)

    def ingest(self, target: int) -> None:
        """POST envelopes of 1000 until ``target`` objects are stored."""
        while self.loaded < target:
            objects = indicators(self.loaded, min(ENVELOPE, target - self.loaded))
            started = time.perf_counter()
            status = self.client.add_objects({"objects": objects})
            elapsed = time.perf_counter() - started
            assert status.success_count == len(objects), (status.success_count, status.failures)
            self.ingest_rates.append(len(objects) / elapsed)
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
                **self.latencies(requests, first_page_requests)}


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
    """A migrated hub database with one team, a service user's token and a collection."""

    def __init__(self, database_url: str, instance: Path) -> None:
        self.app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url,
                               "INSTANCE_PATH": str(instance)})
        upgrade(self.app)
        with database(self.app).sessionmaker() as session:
            team = teams.create_team(session, "CERT-Bench", "VN")
            collection = collections.create_collection(session, "Bench indicators", team.name)
            collections.grant(session, str(collection.id), team.name, True, True, Tlp.AMBER)
            user = users.create_user(session, "bench-loader", team.name, Role.SERVICE, None)
            token, self.token = tokens.create_token(session, user.username, "bench",
                                                    ["read", "write"])
            session.commit()
            self.collection_id, self.author = collection.id, Author(team.id, user.id, token.id)

    def bulk_load(self, workload: Workload, target: int, batch: int = 5000) -> float:
        """Load rows in-process up to ``target`` (no validation); returns seconds."""
        started = time.perf_counter()
        with database(self.app).sessionmaker() as session:
            collection = session.get(CollectionRow, self.collection_id)
            assert collection is not None
            while workload.loaded < target:
                objects = indicators(workload.loaded, min(batch, target - workload.loaded))
                result = add_objects(session, collection, objects, self.author, validate=False)
                assert result.stored == len(objects)
                session.commit()
                workload.loaded += len(objects)
                workload.remember(objects)
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                session.execute(sa.text("ANALYZE stix_objects"))
                session.commit()
        return time.perf_counter() - started


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
            bulk_s = hub.bulk_load(workload, size) if workload.loaded < size else 0.0
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


def run_medallion(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    mdir = workdir / "medallion"
    mdir.mkdir()
    server, url = medallion_server(Path(args.medallion_venv), mdir, args.medallion_page)
    with server, RssSampler(server.pid) as rss:
        workload = Workload(Collection(url, user=MEDALLION_USER, password=MEDALLION_PASSWORD),
                            args.medallion_page)
        workload.ingest(args.medallion_n)
        stage = workload.stage(args.medallion_n, args.read_runs, args.requests,
                               args.medallion_first_page_requests)
        print(f"  medallion: {format_stage(stage)} [load average {os.getloadavg()[0]:.1f}]",
              flush=True)
        return {"server": "medallion 3.0.0 (memory)", "stages": [stage],
                "http_n": workload.loaded, "ingest": ingest_figures(workload.ingest_rates),
                **memory_figures(rss)}


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
            f"{stage['get_object_ms']:.1f} ms")


def report(results: list[dict[str, Any]], medallion: dict[str, Any] | None) -> None:
    print("\n== results (medians) ==")
    for res in [*results, *([medallion] if medallion else [])]:
        ing = res["ingest"]
        print(f"{res['server']}: ingest {ing['median']:,.0f} obj/s over {res['http_n']:,} objects "
              f"by HTTP (first envelope {ing['first']:,.0f}, last {ing['last']:,.0f}); "
              f"server RSS max {res['rss_total_mb']:.0f} MB total, "
              f"{res['rss_process_mb']:.0f} MB largest process, "
              f"PSS max {res['pss_total_mb']:.0f} MB total")
        for stage in res["stages"]:
            print(f"    {format_stage(stage)}")
    if not medallion:
        return
    mstage = medallion["stages"][0]
    print(f"\nratios vs medallion (its N={mstage['size']:,}, page {args_page(mstage)}; "
          "rates are per object):")
    for res in results:
        stage = min(res["stages"], key=lambda s: abs(s["size"] - mstage["size"]))
        print(f"  {res['server']} at N={stage['size']:,}: ingest "
              f"{res['ingest']['median'] / medallion['ingest']['median']:.1f}x, full read "
              f"{stage['read_objs_s'] / mstage['read_objs_s']:.1f}x, first page (limit 100) "
              f"{mstage['first_page_100_ms'] / stage['first_page_100_ms']:.1f}x faster, "
              f"get-object {mstage['get_object_ms'] / stage['get_object_ms']:.1f}x faster")


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
    parser.add_argument("--medallion-first-page-requests", type=int, default=5)
    parser.add_argument("--no-medallion", action="store_true")
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
        medallion = None if args.no_medallion else run_medallion(workdir, args)
    except BaseException:
        for log in workdir.glob("*/server.log"):
            print(f"--- {log} (last lines) ---\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, medallion)


if __name__ == "__main__":
    main()
