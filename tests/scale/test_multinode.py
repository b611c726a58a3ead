"""Three stateless `accord serve` nodes on one PostgreSQL database behind nginx (deploy/nginx).

Concurrent writers and `added_after` readers go through the proxy while one node is killed:
no acknowledged write is lost, no object is stored twice, and readers never skip or repeat an
object. Then the scheduler leader is killed and the standby takes over and runs a due job once.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from accord.assembly import create_app
from accord.db import database, job_session, utcnow
from accord.migrate import upgrade
from accord.models.scheduling import SchedulerLease
from accord.models.users import Role
from accord.scheduler.jobs import schedule
from accord.services import collections, teams, tokens, users
from bench.cluster import BIN, Cluster
from tests.conftest import TEST_SECRET, _create_postgres_database, drop_postgres_database

pytestmark = [pytest.mark.multinode, pytest.mark.slow]
TAXII = "application/taxii+json;version=2.1"
WRITERS, ENVELOPES, PER_ENVELOPE = 4, 20, 10
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def hub_database() -> Iterator[str]:
    """A new PostgreSQL database for the cluster (the machine's server; CI requires it)."""
    url, admin = _create_postgres_database(os.environ.get("ACCORD_TEST_DATABASE_URL") or PG_ADMIN)
    yield url
    drop_postgres_database(admin, url)


@pytest.fixture(scope="module")
def seeded(hub_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[Flask, str, str]]:
    """The migrated hub with a team, a collection and an API token; (app, collection, token)."""
    app = create_app({"DATABASE_URL": hub_database, "SECRET_KEY": TEST_SECRET,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("seed"))})
    upgrade(app)
    with job_session(app) as session:
        teams.create_team(session, "CERT-VN", "VN", "soc@cert.example", "Asia/Ho_Chi_Minh")
        users.create_user(session, "sync", "CERT-VN", Role.SERVICE, None)
        collection = collections.create_collection(session, "Shared", "CERT-VN", "load",
                                                   alias="shared")
        collections.grant(session, str(collection.id), "CERT-VN", True, True, "amber")
        _, secret = tokens.create_token(session, "sync", "load", ["read", "write"])
        collection_id = str(collection.id)
    yield app, collection_id, secret
    database(app).engine.dispose()


@pytest.fixture(scope="module")
def cluster(seeded: tuple[Flask, str, str], hub_database: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_DATABASE_URL=hub_database, ACCORD_SECRET_KEY=TEST_SECRET)
    running = Cluster(workdir, env)
    try:
        running.start(nodes=3)
        yield running
    finally:
        running.stop()


def _indicator(n: int, writer: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-01T08:00:00.000Z", "modified": "2026-11-01T08:00:00.000Z",
            "name": f"w{writer} n{n}", "pattern": f"[ipv4-addr:value = '10.{writer}.{n // 250}."
            f"{n % 250}']", "pattern_type": "stix", "valid_from": "2026-11-01T08:00:00Z"}


class Reader:
    """Follows the collection with added_after + next, as a feed would, noting every id."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.after: str | None = None
        self.seen: list[str] = []
        self.errors: list[str] = []

    def catch_up(self) -> None:
        params: dict[str, str] = {"limit": "50"}
        if self.after:
            params["added_after"] = self.after
        while True:
            try:
                response = requests.get(self.url, params=params, headers=self.headers,
                                        timeout=30)
            except requests.RequestException as exc:
                self.errors.append(str(exc))
                return
            if response.status_code != 200:  # a 502 while a node dies: try again later
                self.errors.append(str(response.status_code))
                return
            body = response.json()
            self.seen += [obj["id"] for obj in body.get("objects", [])]
            last = response.headers.get("X-TAXII-Date-Added-Last")
            if not body.get("more") or "next" not in body:
                if last:
                    self.after = last
                return
            params = {"limit": "50", "next": body["next"]}
            if self.after:
                params["added_after"] = self.after


def test_writers_and_readers_through_the_proxy_survive_a_node_kill(
        cluster: Cluster, seeded: tuple[Flask, str, str]) -> None:
    app, collection_id, token = seeded
    objects_url = f"{cluster.url}/taxii2/api/collections/{collection_id}/objects/"
    headers = {"Accept": TAXII, "Authorization": f"Bearer {token}"}
    acknowledged: list[str] = []
    refused: list[int] = []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()

    def writer(number: int) -> None:
        for envelope in range(ENVELOPES):
            batch = [_indicator(envelope * PER_ENVELOPE + n, number) for n in range(PER_ENVELOPE)]
            try:
                response = requests.post(objects_url, json={"objects": batch}, timeout=60,
                                         headers={**headers, "Content-Type": TAXII})
            except requests.RequestException:
                with lock:
                    refused.append(0)
                continue
            with lock:
                if response.status_code == 202 and response.json()["status"] == "complete":
                    acknowledged.extend(s["id"] for s in response.json()["successes"])
                else:
                    refused.append(response.status_code)

    readers = [Reader(objects_url, headers) for _ in range(2)]

    def follow(reader: Reader) -> None:
        while writing.is_set():
            reader.catch_up()
            time.sleep(0.05)

    writer_threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    reader_threads = [threading.Thread(target=follow, args=(r,)) for r in readers]
    for thread in (*writer_threads, *reader_threads):
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < WRITERS * ENVELOPES * PER_ENVELOPE // 3 \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    cluster.nodes[1].kill()  # mid-load: its in-flight requests fail, nothing else may
    for thread in writer_threads:
        thread.join(timeout=300)
    writing.clear()
    for thread in reader_threads:
        thread.join(timeout=60)

    total = WRITERS * ENVELOPES * PER_ENVELOPE
    print(f"multinode: {len(acknowledged)}/{total} acknowledged, {len(refused)} envelopes "
          f"refused ({sorted(set(refused))}), reads {[len(r.seen) for r in readers]}, "
          f"reader retries {[len(r.errors) for r in readers]}")
    assert cluster.nodes[1].popen.poll() is not None  # the node really died mid-load
    assert len(acknowledged) >= total * 0.8, (len(acknowledged), refused)
    with database(app).engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.text(
            "SELECT stix_id FROM stix_objects WHERE collection_id = :c"),
            {"c": uuid.UUID(collection_id)})]
    assert len(stored) == len(set(stored))  # nothing stored twice
    assert set(acknowledged) <= set(stored)  # no acknowledged write lost
    for reader in readers:
        reader.catch_up()  # the proxy routes around the dead node
        assert len(reader.seen) == len(set(reader.seen)), "a reader saw an object twice"
        assert set(reader.seen) == set(stored), "a reader skipped an object"


def _lease_holder(app: Flask) -> str | None:
    with database(app).sessionmaker() as session:
        lease = session.get(SchedulerLease, "scheduler")
        return lease.holder if lease is not None and lease.expires_at > utcnow() else None


def test_killing_the_scheduler_leader_hands_over_and_the_job_runs_once(
        cluster: Cluster, seeded: tuple[Flask, str, str], tmp_path: Path) -> None:
    app = seeded[0]
    command = [str(BIN / "python"), "-m", "accord", "scheduler", "--lease-seconds", "3"]
    leader = cluster.spawn("scheduler-a", command)
    deadline = time.monotonic() + 60
    while _lease_holder(app) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    first = _lease_holder(app)
    assert first is not None and first.endswith(f":{leader.popen.pid}")
    standby = cluster.spawn("scheduler-b", command)
    runs = tmp_path / "runs.txt"
    schedule(app, "test.failover", "tests.scale.jobs:record_run", "date",
             args=(str(runs), "ran"), run_date=utcnow() + timedelta(seconds=6))
    leader.kill()
    killed_at = time.monotonic()
    while time.monotonic() < killed_at + 60:
        holder = _lease_holder(app)
        if holder is not None and holder.endswith(f":{standby.popen.pid}"):
            break
        time.sleep(0.2)
    handover = time.monotonic() - killed_at
    assert _lease_holder(app) is not None
    assert str(_lease_holder(app)).endswith(f":{standby.popen.pid}"), standby.log.read_text()
    assert handover < 15, handover  # within a few lease periods
    print(f"multinode: scheduler handover in {handover:.1f} s")
    while not runs.exists() and time.monotonic() < killed_at + 60:
        time.sleep(0.2)
    time.sleep(1)  # a double run would show up here (the job store holds one job)
    assert runs.read_text().splitlines() == ["ran"], standby.log.read_text()
