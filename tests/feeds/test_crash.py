"""SIGKILL a process in the middle of ``accord feeds run``: the next run continues from the last
stored page, and object counts prove nothing was lost or duplicated."""

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

from feeds.engine import run_feed
from feeds.models import FeedRun, RunOutcome
from tests.conftest import TEST_SECRET
from tests.feeds.conftest import Home, indicators, pull_feed, stored_ids
from tests.feeds.fakeremote import FakeRemote

ACCORD = Path(sys.executable).with_name("accord")


@pytest.mark.slow
def test_killed_run_resumes_without_loss_or_duplicates(
        app: Flask, session: Session, home: Home, fake_remote: FakeRemote, tmp_path: Path) -> None:
    fake_remote.add(indicators(300))
    fake_remote.page_size = 20
    feed = pull_feed(session, app, home, fake_remote, name="crashy", settings={"page_size": 20})
    fake_remote.mode, fake_remote.delay = "slow", 0.25
    env = {**os.environ, "ACCORD_DATABASE_URL": app.config["DATABASE_URL"],
           "ACCORD_SECRET_KEY": TEST_SECRET, "ACCORD_INSTANCE_PATH": str(tmp_path),
           "ACCORD_FEEDS_RUN_LOCK_SECONDS": "2"}
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(ACCORD), "feeds", "run", "crashy"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    pages = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and pages < 3:
        time.sleep(0.1)
        session.expire_all()
        pages = session.scalar(select(FeedRun.pages).where(FeedRun.feed_id == feed.id)) or 0
        assert process.poll() is None, log.read_text()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert pages >= 3

    session.expire_all()
    killed = session.scalar(select(FeedRun).where(FeedRun.feed_id == feed.id))
    assert killed is not None and killed.outcome == RunOutcome.RUNNING
    kept = stored_ids(session, home.collection)
    assert len(kept) == killed.stored == killed.pages * 20 < 300  # whole pages only

    fake_remote.mode = "ok"
    time.sleep(2.1)  # the dead process's run lock expires
    app.config["FEEDS_RUN_LOCK_SECONDS"] = 2
    resumed = run_feed(app, feed.id)
    assert resumed is not None and resumed.outcome == RunOutcome.SUCCESS, resumed.error
    assert resumed.stored == 300 - len(kept)
    assert resumed.fetched <= 300 - len(kept) + 1  # resumed from the watermark, not the start
    ids = stored_ids(session, home.collection)
    assert len(ids) == len(set(ids)) == 300
    assert sorted(ids) == sorted(obj["id"] for _, obj in fake_remote.objects)
    session.refresh(killed)
    assert killed.outcome == RunOutcome.INTERRUPTED and killed.error
