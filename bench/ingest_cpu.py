"""Benchmark: server CPU per validated object for TAXII add, in-process (issue 15).

Envelopes of 1,000 new bench indicators (``bench.taxii_bench.indicators``) are posted through
the Flask test client (body parse, validation, rules, SQL, commit, status), or given straight
to ``add_objects`` (``--mode ingest``, then a commit). CPU time (``time.process_time``) per
object is reported as the median over envelopes, so other processes on the machine matter less
than for wall-clock figures.

    .venv/bin/python bench/ingest_cpu.py [--databases sqlite,postgresql] [--envelopes 10]
        [--mode http|ingest] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from contextlib import contextmanager  # noqa: E402

from accord.db import database  # noqa: E402
from accord.models.collections import Collection as CollectionRow  # noqa: E402
from accord.sharing.ingest import add_objects  # noqa: E402
from bench.taxii_bench import ENVELOPE, AccordHub, indicators, postgres_database  # noqa: E402


def _envelopes(count: int) -> list[list[dict[str, object]]]:
    return [indicators(index * ENVELOPE, ENVELOPE) for index in range(count)]


class GcClock:
    """CPU seconds spent in the garbage collector while ``on``."""

    def __init__(self) -> None:
        self.on, self.seconds, self.started = False, 0.0, 0.0
        gc.callbacks.append(self.event)

    def event(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.process_time()
        elif self.on:
            self.seconds += time.process_time() - self.started


def measure(hub: AccordHub, mode: str, envelopes: int, profile: cProfile.Profile | None,
            collector: GcClock) -> list[float]:
    """CPU microseconds per object, one figure per envelope (after one warm-up envelope)."""
    batches = _envelopes(envelopes + 1)
    figures: list[float] = []
    client = hub.app.test_client()
    url = f"/taxii2/api/collections/{hub.collection_id}/objects/"
    headers = {"Authorization": f"Bearer {hub.token}",
               "Content-Type": "application/taxii+json;version=2.1",
               "Accept": "application/taxii+json;version=2.1"}
    for index, objects in enumerate(batches):
        body = json.dumps({"objects": objects}).encode()
        started = time.process_time()
        collector.on = bool(index)
        if profile is not None and index:
            profile.enable()
        if mode == "http":
            response = client.post(url, data=body, headers=headers)
            assert response.status_code == 202, response.get_data(as_text=True)[:300]
            assert response.get_json()["success_count"] == len(objects)
        else:
            with database(hub.app).sessionmaker() as session:
                collection = session.get(CollectionRow, hub.collection_id)
                assert collection is not None
                result = add_objects(session, collection, objects, hub.author)
                assert result.stored == len(objects), result.failures[:2]
                session.commit()
        if profile is not None:
            profile.disable()
        collector.on = False
        if index:
            figures.append((time.process_time() - started) * 1e6 / len(objects))
    return figures


@contextmanager
def _url(kind: str, workdir: Path):  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--envelopes", type=int, default=10)
    parser.add_argument("--mode", choices=["http", "ingest"], default="http")
    parser.add_argument("--profile", type=int, default=0, help="print the top N of cProfile")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once the hub is built, as accord serve does")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        workdir = Path(tempfile.mkdtemp(prefix="accord-ingest-cpu-"))
        (workdir / "instance").mkdir()
        with _url(kind, workdir) as url:
            hub = AccordHub(url, workdir / "instance")
            if args.gc_freeze:
                gc.freeze()
            profile = cProfile.Profile() if args.profile else None
            collector = GcClock()
            figures = measure(hub, args.mode, args.envelopes, profile, collector)
            database(hub.app).engine.dispose()
        print(f"{kind} {args.mode}: median {statistics.median(figures):.0f} us CPU/object "
              f"(min {min(figures):.0f}; garbage collector "
              f"{collector.seconds * 1e6 / len(figures) / ENVELOPE:.0f}; "
              f"{len(figures)} envelopes of {ENVELOPE}; "
              f"load average {os.getloadavg()[0]:.2f})", flush=True)
        if profile is not None:
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime").print_stats(args.profile)
            stats.sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
