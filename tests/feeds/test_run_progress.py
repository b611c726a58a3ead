"""``accord feeds run`` shows progress after each page on standard error, then one summary
line; ``--quiet`` prints nothing unless the run fails (issue 18)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from accord.cli import progress
from tests.feeds.conftest import Home, indicators, pull_feed
from tests.feeds.fakeremote import FakeRemote


def test_feeds_run_shows_pages_then_a_summary(app: Flask, session: Session, home: Home,
                                              fake_remote: FakeRemote,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake_remote.add(indicators(5))
    pull_feed(session, app, home, fake_remote, name="paged", settings={"page_size": 2})
    runner = app.test_cli_runner()
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)  # a line per page
    ran = runner.invoke(args=["feeds", "run", "paged"])
    assert ran.exit_code == 0, ran.output
    assert ran.stderr.splitlines() == [
        "Feed paged: 1 pages, 2 fetched, 2 stored, 0 already known, 0 rejected",
        "Feed paged: 2 pages, 4 fetched, 4 stored, 0 already known, 0 rejected",
        "Feed paged: 3 pages, 5 fetched, 5 stored, 0 already known, 0 rejected"]
    assert ran.stdout == ("Run success: 3 pages, 5 fetched, 5 stored, 0 already known, "
                          "0 rejected, 0 dropped\n")

    fake_remote.add(indicators(2))
    quiet = runner.invoke(args=["feeds", "run", "paged", "--quiet"])
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")

    fake_remote.mode = "500"
    failed = runner.invoke(args=["feeds", "run", "paged", "-q"])
    assert failed.exit_code == 1 and failed.stdout == ""
    assert failed.stderr.startswith("Run failed: 0 pages") and "HTTP 500" in failed.stderr


def test_a_quick_run_prints_only_its_summary(app: Flask, session: Session, home: Home,
                                             fake_remote: FakeRemote) -> None:
    fake_remote.add(indicators(3))
    pull_feed(session, app, home, fake_remote, name="quick", settings={"page_size": 1})
    ran = app.test_cli_runner().invoke(args=["feeds", "run", "quick"])
    assert ran.exit_code == 0 and ran.stderr == ""  # periodic lines, not one per page
    assert ran.stdout.startswith("Run success: 3 pages, 3 fetched, 3 stored")
