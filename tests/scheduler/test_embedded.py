"""``accord serve --scheduler``: one command serves the hub and runs the scheduler beside it,
and stopping the server stops the scheduler and gives its lease up (issue 4, one machine)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.scheduling import SchedulerLease
from tests.conftest import TEST_SECRET
from tests.scheduler.test_scheduler import wait_for

ACCORD = Path(sys.executable).with_name("accord")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lease(session: Session) -> SchedulerLease | None:
    session.expire_all()
    return session.scalar(select(SchedulerLease).where(SchedulerLease.name == "scheduler"))


def test_serve_with_scheduler_holds_the_lease_and_releases_it(
        app: Flask, session: Session, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ACCORD_DATABASE_URL": app.config["DATABASE_URL"],
           "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(tmp_path)}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(ACCORD), "serve", "--scheduler", "--port", str(port),
                               "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def ready() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).ok
            except requests.RequestException:
                return False

        assert wait_for(ready, 60), (tmp_path / "serve.log").read_text()

        def leading() -> bool:
            lease = _lease(session)
            return lease is not None and lease.expires_at > utcnow()

        assert wait_for(leading, 30), (tmp_path / "serve.log").read_text()
        holder = _lease(session)
        assert holder is not None
        assert holder.holder.rsplit(":", 1)[1] != str(server.pid)  # a child process, not gunicorn
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        log.close()

    released = _lease(session)
    assert released is not None and released.expires_at <= utcnow()
    assert b"Scheduler stopped." in (tmp_path / "serve.log").read_bytes()
