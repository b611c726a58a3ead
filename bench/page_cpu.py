"""Benchmark: server time of a TAXII get-objects first page, in-process (issue 15).

One collection of ``--n`` bench indicators (``bench.taxii_bench``) on a new SQLite file and on a
new PostgreSQL database; a person (HTTP Basic password, the credential cache on) and a service
account (Bearer token) read the first page of 1000 and of 100 through the Flask test client,
``--requests`` times each. Medians of wall time and of the process's CPU time
(``time.process_time``: the hub's Python, not the database server's) are printed.

``--against DIR`` (another checkout, e.g. ``git archive main``) measures that code beside this
one in the same run: each tree reads in its own worker process over the same database, in
alternating rounds, so both see the same machine load, and the ratio of medians is printed.
``--profile N`` prints cProfile's top N for this tree instead.

    .venv/bin/python bench/page_cpu.py [--databases sqlite,postgresql] [--n 10000]
        [--requests 200] [--against DIR] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, cast

_TREE = Path(os.environ.get("ACCORD_BENCH_TREE") or Path(__file__).resolve().parents[1])
sys.path[:0] = [str(_TREE / "platform"), str(_TREE)]

from flask.testing import FlaskClient  # noqa: E402
from taxii2client.v21 import Collection  # noqa: E402

from accord.assembly import create_app  # noqa: E402
from accord.db import database  # noqa: E402
from accord.models.users import Role  # noqa: E402
from accord.services import users  # noqa: E402
from bench.taxii_bench import PAGE, SECRET, AccordHub, Workload, postgres_database  # noqa: E402

PERSON, PASSWORD = "bench-person", "bench-password-123"
TAXII = "application/taxii+json;version=2.1"
CASES = [(reader, limit) for reader in ("person", "service") for limit in (1000, 100)]


@dataclass(frozen=True)
class Setup:
    """What a reader needs to reach the bench collection."""

    url: str
    instance: str
    collection_id: str
    token: str


def prepare(url: str, instance: Path, n: int) -> Setup:
    """Migrate, create the service account (``AccordHub``), a person, and load ``n`` objects."""
    hub = AccordHub(url, instance)
    with database(hub.app).sessionmaker() as session:
        users.create_user(session, PERSON, "CERT-Bench", Role.ANALYST, PASSWORD)
        session.commit()
    hub.bulk_load(Workload(cast(Collection, None), PAGE), n)
    database(hub.app).engine.dispose()
    return Setup(url, str(instance), str(hub.collection_id), hub.token)


class Reader:
    """A hub app and test client that time first-page reads."""

    def __init__(self, setup: Setup) -> None:
        self.app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": setup.url,
                               "INSTANCE_PATH": setup.instance,
                               "CREDENTIAL_CACHE_SECONDS": 3600})
        self.client: FlaskClient = self.app.test_client()
        self.url = f"/taxii2/api/collections/{setup.collection_id}/objects/"
        basic = b64encode(f"{PERSON}:{PASSWORD}".encode()).decode()
        self.auth = {"person": f"Basic {basic}", "service": f"Bearer {setup.token}"}
        for reader, limit in CASES:  # warm-up: statements, caches, the password check
            self.read(reader, limit)
        gc.collect()
        gc.freeze()  # as ``accord serve`` does once the app is built

    def read(self, reader: str, limit: int) -> tuple[float, float]:
        """One read: (wall ms, CPU ms)."""
        wall, cpu = time.perf_counter(), time.process_time()
        response = self.client.get(self.url, query_string={"limit": limit},
                                   headers={"Authorization": self.auth[reader],
                                            "Accept": TAXII})
        body = response.get_data()
        times = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
        assert response.status_code == 200, body[:300]
        assert body.count(b'"type":"indicator"') == limit
        return times

    def close(self) -> None:
        database(self.app).engine.dispose()


def worker(setup: Setup) -> None:
    """Answer ``reader limit count`` lines on stdin with JSON lists of (wall, CPU) times."""
    reader = Reader(setup)
    print("ready", flush=True)
    for line in sys.stdin:
        name, limit, count = line.split()
        print(json.dumps([reader.read(name, int(limit)) for _ in range(int(count))]),
              flush=True)
    reader.close()


class Worker:
    """A worker process running the code of one tree."""

    def __init__(self, tree: Path, setup: Setup) -> None:
        env = {**os.environ, "ACCORD_BENCH_TREE": str(tree),
               "PYTHONPATH": f"{tree / 'platform'}:{tree}"}
        self.tree = tree
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", json.dumps(asdict(setup))], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._line() == "ready"

    def _line(self) -> str:
        return cast(IO[str], self.process.stdout).readline().strip()

    def times(self, reader: str, limit: int, count: int) -> list[tuple[float, float]]:
        stdin = cast(IO[str], self.process.stdin)
        stdin.write(f"{reader} {limit} {count}\n")
        stdin.flush()
        return [tuple(pair) for pair in json.loads(self._line())]

    def close(self) -> None:
        cast(IO[str], self.process.stdin).close()
        self.process.wait(timeout=60)


def measure(trees: list[Path], setup: Setup, requests: int, chunk: int = 10
            ) -> dict[tuple[int, str, int], list[tuple[float, float]]]:
    """(tree index, reader, limit) -> times; trees take turns every ``chunk`` reads."""
    workers = [Worker(tree, setup) for tree in trees]
    times: dict[tuple[int, str, int], list[tuple[float, float]]] = {}
    try:
        for round_ in range(0, requests, chunk):
            order = list(enumerate(workers))
            if round_ // chunk % 2:
                order.reverse()
            for reader, limit in CASES:
                for index, work in order:
                    times.setdefault((index, reader, limit), []).extend(
                        work.times(reader, limit, min(chunk, requests - round_)))
    finally:
        for work in workers:
            work.close()
    return times


def report(kind: str, trees: list[Path], times: dict[tuple[int, str, int],
                                                      list[tuple[float, float]]]) -> None:
    def medians(key: tuple[int, str, int]) -> tuple[float, float]:
        pairs = times[key]
        return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs))

    print(f"{kind} [load average {os.getloadavg()[0]:.2f}]", flush=True)
    for reader, limit in CASES:
        figures = [medians((index, reader, limit)) for index in range(len(trees))]
        line = "; ".join(f"{tree.name}: wall {wall:.2f} ms, CPU {cpu:.2f} ms"
                         for tree, (wall, cpu) in zip(trees, figures, strict=True))
        if len(figures) == 2:
            line += (f"; ratio {figures[1][0] / figures[0][0]:.2f} wall, "
                     f"{figures[1][1] / figures[0][1]:.2f} CPU")
        print(f"  {reader:7} limit {limit:4} ({len(times[(0, reader, limit)])} reads): {line}",
              flush=True)


def profile(setup: Setup, requests: int, top: int) -> None:
    """cProfile of this tree's reads, every case, top ``top`` by own and cumulative time."""
    reader = Reader(setup)
    for name, limit in CASES:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(requests):
            reader.read(name, limit)
        prof.disable()
        print(f"== {name} limit {limit}: {requests} reads ==")
        stats = pstats.Stats(prof)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    reader.close()


@contextmanager
def _database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout to measure in the same run (the baseline)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N of cProfile")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Setup(**json.loads(args.worker)))
        return
    trees = [path.resolve() for path in ([args.against] if args.against else [])] + [_TREE]
    for kind in args.databases.split(","):
        workdir = Path(tempfile.mkdtemp(prefix="accord-page-cpu-"))
        (workdir / "instance").mkdir()
        with _database(kind, workdir) as url:
            setup = prepare(url, workdir / "instance", args.n)
            if args.profile:
                profile(setup, args.requests, args.profile)
            else:
                report(kind, trees, measure(trees, setup, args.requests))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
