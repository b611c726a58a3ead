"""Crash rehearsal (issue 14): three teams in three time zones, the real scheduler in a
subprocess, SIGKILLed while it is in the middle of releasing an inject; a fresh scheduler
takes over and every inject is released exactly once (deliveries, published objects,
expectations, audit events and webhooks counted), and the report shows the outage and the
late releases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from accord.models.audit import AuditEvent
from accord.models.scheduling import SchedulerTakeover
from accord.models.stix import StixObject
from exercises.models import (
    Exercise,
    ExerciseDelivery,
    ExerciseState,
    ExpectationResult,
    InjectState,
)
from exercises.reports import data as report_data
from exercises.runs import job_functions, job_sync, planning
from exercises.runs.marking import run_id
from exercises.scenarios import library, scenario_format
from tests.conftest import TEST_SECRET
from tests.exercises.conftest import PLACEHOLDERS, World
from tests.exercises.test_runner import wait_for
from tests.exercises.webhook_receiver import receiver

IND_A = "indicator--3f0c5a10-8a4e-4c55-9d0a-6a7e0c2b1a01"
IND_B = "indicator--3f0c5a10-8a4e-4c55-9d0a-6a7e0c2b1a02"
SCENARIO = f"""
format: accord-exercise/1
title: Crash rehearsal
version: "1"
duration: PT40M
objectives: [{{id: OBJ, text: Keep sharing through an outage.}}]
teams:
  - {{id: lead, role: EXCON, timezone: Asia/Ho_Chi_Minh}}
  - {{id: north, role: Partner, timezone: Europe/Tallinn}}
  - {{id: south, role: Partner, timezone: America/Santiago}}
injects:
  - id: INJ-A
    offset: PT0M
    title: STARTEX with an indicator
    channels: [inbox, taxii, webhook]
    stix:
      - {{type: indicator, id: {IND_A}, pattern: "[ipv4-addr:value = '203.0.113.7']",
          pattern_type: stix}}
    expected_actions:
      - {{id: ack, text: Acknowledge., deadline: PT5M, objective: OBJ, evidence: acknowledge}}
  - id: INJ-B
    offset: PT10M
    title: A briefing for north
    audience: [north]
    stix:
      - {{type: indicator, id: {IND_B}, pattern: "[domain-name:value = 'b.example']",
          pattern_type: stix}}
    expected_actions:
      - {{id: ack, text: Acknowledge., deadline: PT5M, evidence: acknowledge}}
  - id: INJ-C
    offset: PT20M
    title: Lead and south are asked for a statement
    audience: [lead, south]
    channels: [inbox, webhook]
    expected_actions:
      - {{id: decide, text: Decide., deadline: PT10M, evidence: response}}
  - id: INJ-D
    offset: PT30M
    title: Wrap-up
"""
SPEED = 120.0  # 40 scenario minutes in 20 s
AUDIENCE = {"INJ-A": {"lead", "north", "south"}, "INJ-B": {"north"},
            "INJ-C": {"lead", "south"}, "INJ-D": {"lead", "north", "south"}}
# Runs `accord scheduler`, but a release blocks right after publishing its STIX (deliveries
# and the claim on the inject written, nothing committed) until the test kills the process.
# It first waits (bounded) until APScheduler has deleted the one-shot job it is running, so the
# crash always hits a used-up job (on SQLite the delete would otherwise queue behind the
# release's write lock and die with the process).
BLOCKING_SCHEDULER = textwrap.dedent("""
    import socket, sys, time
    import sqlalchemy as sa
    from accord.db import database
    from accord.scheduler.jobs import job_app
    from exercises.runs import delivery, publish
    PORT = int(sys.argv[1])
    original_release = delivery.release
    def release_once_job_used_up(session, exercise, inject, mode, actor=None):
        job_id = f"exercise:{exercise.id}:inject:{inject.key}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with database(job_app()).engine.connect() as conn:
                if not conn.execute(sa.text("SELECT count(*) FROM scheduler_jobs WHERE id = :i"),
                                    {"i": job_id}).scalar():
                    break
            time.sleep(0.05)
        return original_release(session, exercise, inject, mode, actor)
    delivery.release = release_once_job_used_up
    original = publish.publish_objects
    def blocking(*args, **kwargs):
        result = original(*args, **kwargs)
        with socket.create_connection(("127.0.0.1", PORT)) as link:
            link.sendall(b"in release")
            link.settimeout(120)
            link.recv(1)
        raise SystemExit("the test never killed this scheduler")
    publish.publish_objects = blocking
    from accord.assembly.cli import main
    sys.argv = ["accord", "scheduler", "--lease-seconds", "2"]
    main()
""")


class Schedulers:
    """Scheduler subprocesses of one test, always killed at the end."""

    def __init__(self, app: Flask, tmp_path: Path) -> None:
        self.env = {**os.environ, "ACCORD_DATABASE_URL": app.config["DATABASE_URL"],
                    "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(tmp_path)}
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logfiles: list[BinaryIO] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"scheduler-{len(self.processes)}.log").open("wb")
        self.logfiles.append(log)
        process = subprocess.Popen([sys.executable, *args], env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("scheduler-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        for log in self.logfiles:
            log.close()


@pytest.fixture
def schedulers(app: Flask, tmp_path: Path) -> Iterator[Schedulers]:
    group = Schedulers(app, tmp_path)
    yield group
    group.stop_all()


def _run(session: Session, run_id_: Any) -> Exercise:
    session.expire_all()
    found = session.get(Exercise, run_id_)
    assert found is not None
    return found


def _schedule(session: Session, world: World, webhook: str) -> Exercise:
    record = library.save(session, scenario_format.parse(SCENARIO))
    session.commit()
    request = planning.ScheduleRequest(
        scenario=str(record.id), name="Crash rehearsal", start=utcnow() + timedelta(seconds=4),
        teams=PLACEHOLDERS, speed=SPEED, rehearsal=True,
        webhooks={placeholder: webhook for placeholder in PLACEHOLDERS})
    run = planning.schedule_exercise(session, request, world.users["coordinator"])
    session.commit()
    return run


def test_a_scheduler_killed_mid_release_loses_and_repeats_nothing(
        app: Flask, session: Session, world: World, schedulers: Schedulers,
        tmp_path: Path) -> None:
    script = tmp_path / "blocking_scheduler.py"
    script.write_text(BLOCKING_SCHEDULER)
    with receiver() as hook, socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(60)
        run = _schedule(session, world, hook.url)
        job_sync.sync_jobs(app, run.id)
        first = schedulers.start(str(script), str(listener.getsockname()[1]))
        link, _ = listener.accept()  # INJ-A's release is now half done, uncommitted
        with link:
            assert link.recv(64) == b"in release"
            inject_job = job_sync.job_prefix(run.id) + "inject:INJ-A"
            assert wait_for(lambda: inject_job not in job_sync.scheduled_jobs(app, run.id), 10)
            assert _run(session, run.id).injects[0].state == InjectState.PENDING
            first.kill()  # SIGKILL: no clean shutdown, the lease is left to expire
            first.wait(30)
        assert first.returncode == -9
        crashed_at = utcnow()
        assert _run(session, run.id).injects[0].state == InjectState.PENDING  # rolled back

        schedulers.start("-m", "accord", "scheduler", "--lease-seconds", "2")
        assert wait_for(lambda: _run(session, run.id).state == ExerciseState.COMPLETED, 90), \
            schedulers.logs()

        def webhooks_settled() -> bool:
            session.expire_all()
            return all(row.status == "delivered" for row in session.scalars(
                select(ExerciseDelivery).where(ExerciseDelivery.channel == "webhook")))

        assert wait_for(webhooks_settled, 60), schedulers.logs()

        done = _run(session, run.id)
        assert {i.key: i.state for i in done.injects} == dict.fromkeys(AUDIENCE,
                                                                      InjectState.RELEASED)
        assert all(i.release_mode == "schedule" for i in done.injects)
        names = {t.team_id: t.placeholder for t in done.teams}
        by_key = {i.id: i.key for i in done.injects}
        deliveries = Counter((by_key[d.inject_id], d.channel) for d in session.scalars(
            select(ExerciseDelivery).where(ExerciseDelivery.inject_id.in_(by_key))))
        expected = Counter({(key, "inbox"): len(teams) for key, teams in AUDIENCE.items()})
        expected.update({("INJ-A", "taxii"): 3, ("INJ-B", "taxii"): 1,
                         ("INJ-A", "webhook"): 3, ("INJ-C", "webhook"): 2})
        assert deliveries == expected
        releases = Counter(e.details["inject"] for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "exercise.inject.release",
            AuditEvent.target_id == str(run.id))))
        assert releases == dict.fromkeys(AUDIENCE, 1)
        for scenario_id, count in ((IND_A, 1), (IND_B, 1)):
            rows = session.scalars(select(StixObject).where(
                StixObject.stix_id == run_id(run.id, scenario_id))).all()
            assert len(rows) == count
        north = next(t for t in done.teams if t.placeholder == "north")
        assert {r.collection_id for r in session.scalars(select(StixObject).where(
            StixObject.stix_id == run_id(run.id, IND_B)))} == {north.briefing_collection_id}
        expectations = Counter((by_key[r.inject_id], names[r.team_id]) for r in session.scalars(
            select(ExpectationResult).where(ExpectationResult.exercise_id == run.id)))
        assert expectations == Counter({("INJ-A", p): 1 for p in AUDIENCE["INJ-A"]}
                                       | {("INJ-B", "north"): 1}
                                       | {("INJ-C", p): 1 for p in AUDIENCE["INJ-C"]})
        received = Counter((body["inject"]["id"], body["team"]) for body in hook.accepted.values())
        assert received == Counter({("INJ-A", n): 1 for n in
                                    ("Lotus CERT", "Baltic CERT", "Andes CERT")}
                                   | {("INJ-C", n): 1 for n in ("Lotus CERT", "Andes CERT")})
        assert hook.duplicates == 0 and len(hook.requests) == 5

        # INJ-A went out late, after the takeover, and the report says so.
        inj_a = done.injects[0]
        assert inj_a.released_at is not None and inj_a.released_at > crashed_at
        assert done.ended_at is not None  # recovered by the new leader, not only by ENDEX:
        assert (done.ended_at - inj_a.released_at).total_seconds() > 2
        takeovers = session.scalars(select(SchedulerTakeover).order_by(
            SchedulerTakeover.taken_at)).all()
        assert len(takeovers) == 2 and takeovers[1].previous_holder == takeovers[0].holder
        report = report_data.build(session, done)
        outages = report["reliability"]["outages"]
        assert len(outages) == 1 and outages[0]["seconds"] > 1
        late = {row["inject"] for row in report["reliability"]["late_releases"]}
        assert "INJ-A" in late


def test_the_worker_releases_an_overdue_inject_whose_job_was_used_up(
        app: Flask, bound_app: Flask, session: Session, world: World,
        clock: ManualClock) -> None:
    run = _schedule(session, world, "http://127.0.0.1:9/unused")
    assert job_functions.recover_overdue(session) == []  # nothing due yet
    clock.advance(seconds=4 + 10)  # INJ-A due 10 s ago: within the grace, its job may still run
    assert job_functions.recover_overdue(session) == []
    clock.advance(seconds=11)  # INJ-A 21 s and INJ-B (T+10 min = 5 s) 16 s overdue
    assert job_functions.recover_overdue(session) == ["Crash rehearsal/INJ-A",
                                                      "Crash rehearsal/INJ-B"]
    session.commit()
    inject = _run(session, run.id).injects[0]
    assert inject.state == InjectState.RELEASED and inject.release_mode == "schedule"
    assert job_functions.recover_overdue(session) == []  # released once, never again
