"""Benchmark: objects/s for a taxii21-pull of N objects (default 100,000) into a fresh hub.

The remote is a second Accord hub (its TAXII server on 127.0.0.1) when ``accord.taxii`` exists,
otherwise the scripted TAXII 2.1 remote of the feed tests (``--remote fake`` forces it). The
remote hub serves from a process of its own, as a partner's hub does (``--remote-in-process``
serves it from a thread of this process instead, sharing its interpreter lock with the pull:
the setup of the figures before 2026-12-03 afternoon). In the same run it times a peer on the
same remote collection: taxii2-client's ``as_pages`` reading every page without storing
anything, i.e. the ceiling set by the remote and HTTP.

    .venv/bin/python bench/feeds_pull.py [-n 100000] [--runs 3] [--database-url URL]

Prints the median objects/s of ``--runs`` pulls, each into a new empty collection.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from flask import Flask  # noqa: E402
from taxii2client.v21 import Collection, as_pages  # noqa: E402

from accord.assembly import create_app  # noqa: E402
from accord.db import database  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.collections import Collection as LocalCollection  # noqa: E402
from accord.models.teams import Team  # noqa: E402
from accord.models.users import Role  # noqa: E402
from accord.services import collections, teams, tokens, users  # noqa: E402
from accord.tlp import Tlp, marking_ref  # noqa: E402
from feeds import sources  # noqa: E402
from feeds.engine import feeds_user, run_feed  # noqa: E402
from feeds.remote import BearerAuth  # noqa: E402
from feeds.store import add_objects  # noqa: E402
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote  # noqa: E402

SECRET = "benchmark-secret-key-long-enough"
PAGE = 1000


def make_objects(count: int) -> list[dict[str, Any]]:
    stamp = "2026-05-01T00:00:00.000Z"
    return [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
             "created": stamp, "modified": stamp, "name": f"host {i}", "pattern_type": "stix",
             "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']",
             "valid_from": stamp, "object_marking_refs": [marking_ref(Tlp.GREEN)]}
            for i in range(count)]


def hub(url: str, instance: Path) -> Flask:
    app = create_app({"ENV": "testing", "SECRET_KEY": SECRET, "DATABASE_URL": url,
                      "INSTANCE_PATH": str(instance), "TAXII_PAGE_SIZE": PAGE})
    upgrade(app)
    return app


def setup_team(app: Flask, name: str) -> tuple[Team, LocalCollection]:
    with database(app).sessionmaker() as session:
        team = teams.create_team(session, name, "VN")
        collection = collections.create_collection(session, f"{name} live", team.name)
        session.commit()
        return team, collection


class AccordRemote:
    """A second hub serving N objects over its own TAXII 2.1 server."""

    def __init__(self, objects: list[dict[str, Any]], workdir: Path,
                 in_process: bool = False) -> None:
        self.app = hub(f"sqlite:///{workdir / 'remote.sqlite3'}", workdir / "remote")
        team, collection = setup_team(self.app, "Remote CERT")
        with database(self.app).sessionmaker() as session:
            reader_team = teams.create_team(session, "Reader CERT", "EE")
            collections.grant(session, str(collection.id), reader_team.name, True, False,
                              Tlp.AMBER)
            users.create_user(session, "reader", reader_team.name, Role.SERVICE, None)
            _, self.token = tokens.create_token(session, "reader", "bench", ["read"])
            collection = session.get(LocalCollection, collection.id)
            author = users.create_user(session, "loader", team.name, Role.SERVICE, None)
            for start in range(0, len(objects), 5000):
                add_objects(session, collection, author, objects[start:start + 5000], team)
            session.commit()
        self.collection_id = str(collection.id)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/taxii2/"
        if in_process:
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
        else:  # a partner's hub: its own process (forked, so it keeps the loaded database)
            database(self.app).engine.dispose()
            server = multiprocessing.get_context("fork").Process(
                target=self.server.serve_forever, daemon=True)
            server.start()
            atexit.register(server.terminate)
        self.auth = {"auth": "bearer", "secret": self.token}

    def collection(self) -> Collection:
        return Collection(f"{self.url.replace('/taxii2/', '/taxii2/api/')}collections/"
                          f"{self.collection_id}/", auth=BearerAuth(self.token))


class FakeRemoteSource:
    """The feed tests' scripted TAXII remote with N objects."""

    def __init__(self, objects: list[dict[str, Any]], _workdir: Path,
                 _in_process: bool = True) -> None:
        self.remote = FakeRemote().start()
        self.remote.page_size = PAGE
        self.remote.add(objects)
        self.url = f"{self.remote.url}/taxii2/"
        self.collection_id = COLLECTION_ID
        self.auth = {"auth": "basic", "username": self.remote.user,
                     "secret": self.remote.password}

    def collection(self) -> Collection:
        return Collection(f"{self.remote.url}/api1/collections/{self.collection_id}/",
                          user=self.remote.user, password=self.remote.password)


def peer_read(source: Any) -> float:
    """Seconds for taxii2-client to read every page without storing."""
    started = time.perf_counter()
    count = 0
    with source.collection() as remote:
        for envelope in as_pages(remote.get_objects, per_request=PAGE):
            count += len(envelope.get("objects", []))
    return time.perf_counter() - started


def accord_pull(source: Any, target: Flask, run: int) -> tuple[float, int]:
    """Seconds for one full taxii21-pull into a new collection; and objects stored."""
    team, collection = setup_team(target, f"Puller {run}")
    with database(target).sessionmaker() as session:
        partner = teams.create_team(session, f"Partner {run}", "EE")
        feed = sources.create_feed(
            session, target, name=f"bench-{run}", kind="taxii21-pull",
            collection=str(collection.id), partner_team=partner.name,
            settings={"url": source.url, "collection": source.collection_id, "page_size": PAGE,
                      "timeout": 120}, **source.auth)
        feeds_user(session, feed)
        session.commit()
        feed_id = feed.id
    started = time.perf_counter()
    result = run_feed(target, feed_id)
    elapsed = time.perf_counter() - started
    assert result is not None and result.error is None, result and result.error
    return elapsed, result.stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--remote", choices=["auto", "accord", "fake"], default="auto")
    parser.add_argument("--database-url", help="target hub database (default: a new SQLite)")
    parser.add_argument("--remote-in-process", action="store_true",
                        help="serve the remote hub from a thread of this process")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-feeds-"))
    use_accord = args.remote == "accord" or (
        args.remote == "auto" and importlib.util.find_spec("accord.taxii") is not None)
    objects = make_objects(args.n)
    t0 = time.perf_counter()
    source = (AccordRemote if use_accord else FakeRemoteSource)(objects, workdir,
                                                               args.remote_in_process)
    where = "a thread of this process" if args.remote_in_process or not use_accord \
        else "a process of its own"
    print(f"remote: {'second Accord hub' if use_accord else 'scripted TAXII remote'} "
          f"with {args.n} objects (loaded in {time.perf_counter() - t0:.1f} s), page {PAGE}, "
          f"served from {where}; load average {os.getloadavg()[0]:.1f}")
    target = hub(args.database_url or f"sqlite:///{workdir / 'target.sqlite3'}",
                 workdir / "target")
    print(f"target database: {target.config['DATABASE_URL'].split('@')[-1]}")
    peer, pulls = [], []
    for run in range(args.runs):
        peer.append(args.n / peer_read(source))
        seconds, stored = accord_pull(source, target, run)
        assert stored == args.n, f"stored {stored} of {args.n}"
        pulls.append(args.n / seconds)
        print(f"run {run + 1}: taxii2-client as_pages read {peer[-1]:,.0f} obj/s; "
              f"accord taxii21-pull (validate + store) {pulls[-1]:,.0f} obj/s ({seconds:.1f} s)")
    print(f"median: accord pull {statistics.median(pulls):,.0f} objects/s; "
          f"peer read-only {statistics.median(peer):,.0f} objects/s; ratio "
          f"{statistics.median(pulls) / statistics.median(peer):.2f}; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
