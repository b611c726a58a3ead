"""SIGKILL a process in the middle of a pull (``accord feeds run`` or ``accord scheduler``): the
next run continues from the last stored page, and object counts prove nothing was lost or
duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feeds import scheduling
from feeds.engine import run_feed
from feeds.models import FeedRun, RunOutcome
from tests.conftest import TEST_SECRET
from tests.feeds.conftest import Home, indicators, pull_feed, stored_ids
from tests.feeds.fakeremote import FakeRemote

ACCORD = Path(sys.executable).with_name("accord")
TOTAL = 300


def _kill_mid_pull(app: Flask, session: Session, feed_id: object, command: list[str],
                   tmp_path: Path, wait: float) -> FeedRun:
    """Start ``accord <command>``, SIGKILL it once three pages are stored; return that run."""
    env = {**os.environ, "ACCORD_DATABASE_URL": app.config["DATABASE_URL"],
           "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(tmp_path),
           "ACCORD_FEEDS_RUN_LOCK_SECONDS": "2"}
    log = tmp_path / "process.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(ACCORD), *command], env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    pages = 0
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline and pages < 3:
            time.sleep(0.1)
            session.expire_all()
            pages = session.scalar(select(FeedRun.pages).where(FeedRun.feed_id == feed_id)) or 0
            assert process.poll() is None, log.read_text()
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert pages >= 3, log.read_text()
    session.expire_all()
    killed = session.scalar(select(FeedRun).where(FeedRun.feed_id == feed_id))
    assert killed is not None and killed.outcome == RunOutcome.RUNNING
    return killed


def _resume(app: Flask, session: Session, home: Home, remote: FakeRemote, killed: FeedRun) -> None:
    kept = stored_ids(session, home.collection)
    assert len(kept) == killed.stored == killed.pages * 20 < TOTAL  # whole pages only
    remote.mode = "ok"
    # No waiting for the lock to expire: its holder is a dead process on this host.
    resumed = run_feed(app, killed.feed_id)
    assert resumed is not None
    assert resumed.outcome == RunOutcome.SUCCESS, resumed.error
    assert resumed.stored == TOTAL - len(kept)
    assert resumed.fetched <= TOTAL - len(kept) + 1  # resumed from the watermark, not the start
    ids = stored_ids(session, home.collection)
    assert len(ids) == len(set(ids)) == TOTAL
    assert sorted(ids) == sorted(obj["id"] for _, obj in remote.objects)
    session.refresh(killed)
    assert killed.outcome == RunOutcome.INTERRUPTED and killed.error


@pytest.fixture
def slow_remote(fake_remote: FakeRemote) -> FakeRemote:
    fake_remote.add(indicators(TOTAL))
    fake_remote.page_size = 20
    fake_remote.mode, fake_remote.delay = "slow", 0.25
    return fake_remote


@pytest.mark.slow
def test_killed_feeds_run_resumes_without_loss_or_duplicates(
        app: Flask, session: Session, home: Home, slow_remote: FakeRemote, tmp_path: Path) -> None:
    feed = pull_feed(session, app, home, slow_remote, name="crashy", settings={"page_size": 20})
    killed = _kill_mid_pull(app, session, feed.id, ["feeds", "run", "crashy"], tmp_path, 60)
    _resume(app, session, home, slow_remote, killed)


@pytest.mark.slow
def test_killed_scheduler_resumes_without_loss_or_duplicates(
        app: Flask, session: Session, home: Home, slow_remote: FakeRemote, tmp_path: Path) -> None:
    feed = pull_feed(session, app, home, slow_remote, name="scheduled", interval=10,
                     settings={"page_size": 20})
    assert scheduling.sync_job(app, feed) is not None
    killed = _kill_mid_pull(app, session, feed.id, ["scheduler", "--lease-seconds", "3"],
                            tmp_path, 60)
    assert killed.trigger == "schedule"
    _resume(app, session, home, slow_remote, killed)
