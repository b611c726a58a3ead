"""Read latency of Accord's TAXII 2.1 server at 10,000 to 10,000,000 stored objects, on a KEPT
database that can be measured again later without reloading (not run in CI).

For each checkpoint of ``--checkpoints`` it loads the collection up to that many stored rows,
serves the database with ``accord serve`` (gunicorn, ``--workers`` x ``--threads``) on 127.0.0.1
and measures through taxii2-client, with a service user's Bearer token, the median and p95 of
``--requests`` requests each: first page (limit 100 and 1000), get-object (a random stored id),
manifest first page, ``match[type]=indicator``, ``match[type]=malware``, ``match[id]=`` one id,
``added_after`` 150 rows before the end (a full page) and a ``next`` page in the middle of the
collection. It prints the
database size (``pg_database_size`` or the SQLite file), table and index sizes, the load average
with every figure, and the rows/s of the load.

Loading: the first ``--http-n`` objects (10,000) go in through HTTP with taxii2-client (validated,
as bench/taxii_bench.py does); the rest are bulk-loaded in-process with
``accord.sharing.ingest.add_objects(validate=False)`` in batches of ``--batch`` rows, one session
per batch (the same rows and indexes, no stix2 validation), then ``ANALYZE`` on PostgreSQL. The
objects are mostly indicators, 5 % malware, 5 % relationships (indicator -> malware) and 5 % second
versions of an indicator, all with distinct ids.

The database is never dropped. Run again with the same ``--database-url``: the migrations are
applied (``accord.migrate.upgrade``), the stored rows are counted and only what is missing up to
each checkpoint is loaded; ``--measure-only`` measures what is stored without loading anything.
``--stop-at HH:MM`` (UTC) ends the bulk load then, measures what is stored and stops. Wall times
on a shared machine are noisy: each read also reports the CPU ms per request of the gunicorn
processes and the PostgreSQL client backends of the database.

    mkdir -p /work/bench-data
    PYTHONPATH=platform:. .venv/bin/python bench/scale_reads.py \\
        --database-url sqlite:////work/bench-data/sqlite-1m.sqlite3 \\
        --checkpoints 10000,100000,1000000 2>&1 | tee /work/bench-data/sqlite-1m.log
    PYTHONPATH=platform:. .venv/bin/python bench/scale_reads.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/accord_bench_scale \\
        --checkpoints 10000,100000,1000000,10000000 --stop-at 18:35 2>&1 \\
        | tee /work/bench-data/pg-10m.log
    # later, after migrations were added: measure the kept database again
    PYTHONPATH=platform:. .venv/bin/python bench/scale_reads.py --measure-only \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/accord_bench_scale
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from taxii2client.v21 import Collection  # noqa: E402

from accord.db import database  # noqa: E402
from accord.sharing.timestamps import format_timestamp  # noqa: E402
from bench.taxii_bench import SECRET, AccordHub, Workload, indicators  # noqa: E402
from bench.taxii_servers import accord_server, children, cpu_seconds  # noqa: E402
from feeds.remote import BearerAuth  # noqa: E402

CHUNK = 500_000  # bulk rows between progress lines (and ANALYZE on PostgreSQL)
EVERY = 20  # in each run of 20 objects: 1 malware, 1 relationship, 1 second version


def mixed_objects(start: int, count: int) -> list[dict[str, Any]]:
    """``count`` STIX objects numbered from ``start``: indicators, and per 20 of them one malware,
    one relationship (indicator -> malware) and one newer version of an indicator."""
    objects = indicators(start, count)
    for base in range(0, count - 3, EVERY):
        number, target = start + base, objects[base + 2]
        stamp = objects[base]["created"]
        malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
                   "created": stamp, "modified": stamp, "name": f"family {number}",
                   "is_family": True, "object_marking_refs": objects[base]["object_marking_refs"]}
        relation = {"type": "relationship", "spec_version": "2.1",
                    "id": f"relationship--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                    "relationship_type": "indicates", "source_ref": target["id"],
                    "target_ref": malware["id"],
                    "object_marking_refs": objects[base]["object_marking_refs"]}
        newer = {**target, "modified": "2026-05-02T00:00:00.000Z",
                 "name": f"{target['name']} (revised)"}
        objects[base], objects[base + 1], objects[base + 3] = malware, relation, newer
    return objects


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def say(message: str) -> None:
    print(f"{message}  [{uptime()}]", flush=True)


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` unless it exists (it is never dropped)."""
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                       {"n": target.database}) is None:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
            print(f"created database {target.database}", flush=True)
    admin.dispose()


class Stored:
    """What the kept database holds: row count, sample ids and cursors, sizes (plain SQL)."""

    def __init__(self, hub: AccordHub) -> None:
        self.engine = database(hub.app).engine
        self.collection = hub.collection_id

    def _scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.scalar(sa.text(sql), {"c": self._key(), **params})

    def _key(self) -> Any:
        return self.collection if self.engine.dialect.name == "postgresql" else \
            self.collection.hex

    def count(self) -> int:
        return int(self._scalar("SELECT count(*) FROM stix_objects WHERE collection_id = :c"))

    def backends(self) -> list[int]:
        """The PostgreSQL server processes serving this database (none for SQLite)."""
        if self.engine.dialect.name != "postgresql":
            return []
        with self.engine.connect() as conn:
            return list(conn.scalars(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'")))

    def random_ids(self, k: int) -> list[str]:
        """``k`` stored ids picked uniformly by primary key over the whole table."""
        top = int(self._scalar("SELECT max(pk) FROM stix_objects"))
        return [str(self._scalar("SELECT stix_id FROM stix_objects WHERE pk >= :p ORDER BY pk "
                                 "LIMIT 1", p=random.randint(1, top))) for _ in range(k)]

    def added_at(self, fraction: float, back: int = 0) -> str:
        """The ``date_added`` of the row at ``fraction`` of the table by primary key, less
        ``back`` rows (so ``added_at(1, 150)`` leaves about 150 rows after it at any size)."""
        top = int(self._scalar("SELECT max(pk) FROM stix_objects"))
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT date_added FROM stix_objects WHERE pk >= :p ORDER BY pk LIMIT 1"),
                {"p": max(1, int(top * fraction) - back)}).one()
        moment = row[0]
        if isinstance(moment, str):  # SQLite keeps the text form
            return moment.replace(" ", "T").rstrip("Z") + ("" if "+" in moment else "Z")
        return format_timestamp(moment)

    def sizes(self, url: str) -> dict[str, int]:
        """Database size, and the largest tables and indexes, in bytes."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                found = {"database": int(conn.scalar(sa.text(
                    "SELECT pg_database_size(current_database())")))}
                for name, size in conn.execute(sa.text(
                        "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c JOIN "
                        "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                        "AND c.relkind IN ('r', 'i', 't') ORDER BY 2 DESC LIMIT 14")):
                    found[name] = int(size)
                for name in ("stix_objects", "pg_toast"):
                    if name == "stix_objects":
                        found["stix_objects (total with toast+indexes)"] = int(conn.scalar(
                            sa.text("SELECT pg_total_relation_size('stix_objects')")))
                return found
            path = Path(sa.make_url(url).database or "")
            found = {"database": path.stat().st_size}
            wal = path.with_name(path.name + "-wal")
            if wal.exists():
                found["wal file"] = wal.stat().st_size
            try:
                for name, size in conn.execute(sa.text(
                        "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC "
                        "LIMIT 14")):
                    found[name] = int(size)
            except sa.exc.OperationalError:
                pass  # this SQLite has no dbstat table
            return found


def timed(call: Callable[[], Any], requests: int, pids: Callable[[], list[int]]
          ) -> tuple[float, float, float]:
    """Median and p95 wall time of ``call`` in ms over ``requests`` calls (after one warm-up),
    and the mean CPU ms per call of the processes ``pids`` gives (server and database), which
    the other loads of a shared machine disturb far less than wall time."""
    call()
    times = []
    watched = pids()
    cpu = cpu_seconds(watched)
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    cpu = (cpu_seconds(watched) - cpu) * 1000 / requests
    return statistics.median(times), statistics.quantiles(times, n=20)[18], cpu


def reads(client: Collection, stored: Stored, requests: int, pids: Callable[[], list[int]]
          ) -> dict[str, tuple[float, float, float]]:
    """The measured reads, each checked for a sensible answer."""
    ids, rows = stored.random_ids(3 * (requests + 1)), stored.count()
    by_id, by_match = iter(ids), iter(reversed(ids))
    near_end, middle = stored.added_at(1, back=150), stored.added_at(0.5)
    deep = client.get_objects(limit=100, added_after=middle)
    assert deep.get("next"), "no next token in the middle of the collection"

    def objects(count: int, **query: Any) -> Callable[[], None]:
        def call() -> None:
            body = client.get_objects(**query)
            got = len(body.get("objects", []))
            # a full page where the collection is far larger (1 in 20 rows is malware)
            assert got == count if 0 < count <= rows // 40 else got > 0, (query, got)
        return call

    def get_object() -> None:
        stix_id = next(by_id)
        assert client.get_object(stix_id)["objects"][0]["id"] == stix_id

    def match_id() -> None:
        stix_id = next(by_match)
        assert client.get_objects(id=stix_id)["objects"][0]["id"] == stix_id

    def manifest() -> None:
        assert len(client.get_manifest(limit=100)["objects"]) == 100

    calls: dict[str, Callable[[], None]] = {
        "first page limit=100": objects(100, limit=100),
        "first page limit=1000": objects(1000, limit=1000),
        "get-object (random id)": get_object,
        "manifest first page limit=100": manifest,
        "match[type]=indicator limit=100": objects(100, limit=100, type="indicator"),
        "match[type]=malware limit=100": objects(100, limit=100, type="malware"),
        "match[id]= one random id": match_id,
        "added_after 150 rows before the end limit=100": objects(100, limit=100,
                                                             added_after=near_end),
        "next page in the middle limit=100": objects(100, limit=100, next=deep["next"]),
    }
    figures = {}
    for name, call in calls.items():
        figures[name] = timed(call, requests, pids)
        say(f"    {name}: median {figures[name][0]:.1f} ms, p95 {figures[name][1]:.1f} ms, "
            f"server+database CPU {figures[name][2]:.1f} ms/request")
    return figures


def load(hub: AccordHub, stored: Stored, target: int, args: argparse.Namespace,
         workdir: Path) -> bool:
    """Load up to ``target`` rows: through HTTP up to ``--http-n``, then in bulk, in chunks of
    ``CHUNK`` rows until ``--stop-at``; returns whether ``target`` was reached."""
    workload = Workload(Collection("http://unused/"), 1000, mixed_objects)
    workload.loaded = stored.count()
    if workload.loaded < min(target, args.http_n):
        server, base = accord_server(args.database_url, SECRET, workdir, args.workers,
                                     args.threads)
        with server:
            workload.client = client(base, hub)
            started, first = time.perf_counter(), workload.loaded
            workload.ingest(min(target, args.http_n))
            elapsed = time.perf_counter() - started
        say(f"  HTTP ingest (taxii2-client, validated): {workload.loaded - first:,} objects in "
            f"{elapsed:.1f} s = {(workload.loaded - first) / elapsed:,.0f} obj/s")
    while workload.loaded < target and not past(args.stop_at):
        first, backends = workload.loaded, stored.backends()
        cpu, db_cpu = time.process_time(), cpu_seconds(backends)
        seconds = hub.bulk_load(workload, min(target, first + CHUNK), args.batch)
        rows = workload.loaded - first
        cpu, db_cpu = time.process_time() - cpu, cpu_seconds(backends) - db_cpu
        say(f"  bulk load (add_objects validate=False, batches of {args.batch:,}): "
            f"{first:,} -> {workload.loaded:,}: {rows:,} rows in {seconds:.1f} s = "
            f"{rows / seconds:,.0f} rows/s; CPU per 1000 rows: loader {cpu * 1e6 / rows:.0f} ms"
            f", database {db_cpu * 1e6 / rows:.0f} ms")
    return workload.loaded >= target


def client(base: str, hub: AccordHub) -> Collection:
    return Collection(f"{base}/taxii2/api/collections/{hub.collection_id}/",
                      auth=BearerAuth(hub.token))


def measure(hub: AccordHub, stored: Stored, args: argparse.Namespace, workdir: Path
            ) -> dict[str, Any]:
    """One stage: the reads through a fresh server, then sizes; returns the figures."""
    count = stored.count()
    say(f"  measuring at {count:,} stored rows; gunicorn {args.workers} workers x "
        f"{args.threads} threads, {args.requests} requests each")
    server, base = accord_server(args.database_url, SECRET, workdir, args.workers, args.threads)
    with server:
        figures = reads(client(base, hub), stored, args.requests,
                        lambda: [server.pid, *children(server.pid), *stored.backends()])
    sizes = stored.sizes(args.database_url)
    for name, size in sizes.items():
        print(f"    size {name}: {size / 2**20:,.1f} MiB", flush=True)
    say(f"  done at {count:,} rows")
    return {"rows": count, "reads": figures, "db_mib": sizes["database"] / 2**20,
            "load": os.getloadavg()[0]}


def table(stages: list[dict[str, Any]]) -> None:
    """The stages as one Markdown table: median / p95 ms per read and checkpoint."""
    print("\n| read: median / p95 ms (server+db CPU ms/request) | "
          + " | ".join(f"{s['rows']:,}" for s in stages) + " |")
    print("|---|" + "---|" * len(stages))
    for name in stages[0]["reads"]:
        print(f"| {name} | " + " | ".join(
            "{:.1f} / {:.1f} ({:.1f})".format(*s["reads"][name]) for s in stages) + " |")
    print("| database size (MiB) | " + " | ".join(f"{s['db_mib']:,.0f}" for s in stages) + " |")
    print("| 1-min load average | " + " | ".join(f"{s['load']:.1f}" for s in stages) + " |",
          flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="sqlite:////path/file.sqlite3 or postgresql+psycopg://.../name; kept")
    parser.add_argument("--checkpoints", default="10000,100000,1000000",
                        type=lambda v: sorted(int(s) for s in v.split(",")))
    parser.add_argument("--measure-only", "--reuse", action="store_true",
                        help="measure what the kept database holds, load nothing")
    parser.add_argument("--http-n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--stop-at", default="",
                        help="HH:MM UTC: stop bulk loading then, measure what is stored, end")
    return parser.parse_args()


def past(stop_at: str) -> bool:
    """It is later than ``stop_at`` (HH:MM UTC) today; never with an empty ``stop_at``."""
    return bool(stop_at) and time.strftime("%H:%M", time.gmtime()) >= stop_at


def main() -> None:
    args = parse_args()
    if args.database_url.startswith("postgresql"):
        ensure_postgres_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-scale-"))
    hub = AccordHub(args.database_url, workdir)  # migrates; finds or creates the collection
    stored = Stored(hub)
    say(f"{args.database_url}: {stored.count():,} rows stored; checkpoints {args.checkpoints}; "
        f"the database is kept")
    stages = []
    for checkpoint in [] if args.measure_only else args.checkpoints:
        if stored.count() > checkpoint:
            say(f"== checkpoint {checkpoint:,} skipped: {stored.count():,} rows already stored")
            continue
        say(f"== checkpoint {checkpoint:,} (stored {stored.count():,})")
        reached = load(hub, stored, checkpoint, args, workdir)
        stages.append(measure(hub, stored, args, workdir))
        if not reached:
            say(f"stopped loading at --stop-at {args.stop_at} UTC before {checkpoint:,}")
            break
    table(stages or [measure(hub, stored, args, workdir)])
    database(hub.app).engine.dispose()


if __name__ == "__main__":
    main()
