"""The scheduler says what it does (issue 18): leadership taken and released with the holder,
and one line per job it runs with outcome and when it finished."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from flask import Flask

from accord.cli.scheduling import scheduler_log_to_stdout
from accord.db import utcnow
from accord.scheduler import jobs
from accord.scheduler.runner import SchedulerRunner
from tests.scheduler.test_scheduler import wait_for

RAN = threading.Event()


def ok_job() -> None:
    """A job that succeeds."""
    RAN.set()


def failing_job() -> None:
    """A job that fails with a clear error."""
    raise ValueError("the partner hub refused us")


def test_runner_logs_leadership_and_each_job(app: Flask, caplog: pytest.LogCaptureFixture
                                             ) -> None:
    caplog.set_level(logging.INFO, logger="accord.scheduler")
    RAN.clear()
    runner = SchedulerRunner(app, lease_seconds=1.5, holder="ops-test:1")
    runner.start_in_thread()
    try:
        assert wait_for(lambda: runner.is_leader)
        soon = utcnow() + timedelta(milliseconds=200)
        jobs.schedule(app, "test.ok", "tests.scheduler.test_scheduler_log:ok_job", "date",
                      run_date=soon)
        jobs.schedule(app, "test.bad", "tests.scheduler.test_scheduler_log:failing_job",
                      "date", run_date=soon)
        assert wait_for(lambda: "job test.bad failed" in caplog.text
                        and "job test.ok ran, finished" in caplog.text,
                        timeout=jobs.WAKE_SECONDS + 15), caplog.text
    finally:
        runner.stop()
    assert RAN.is_set()
    text = caplog.text
    assert "scheduler lease taken by ops-test:1" in text
    assert "job test.bad failed," in text and "ValueError: the partner hub refused us" in text
    assert "scheduler lease released by ops-test:1" in text
    assert "accord.wake" not in text  # the housekeeping poll stays at DEBUG


def test_scheduler_command_prints_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("accord.scheduler")
    with scheduler_log_to_stdout():
        logger.info("scheduler lease taken by %s; running jobs", "host:42")
        logger.debug("job accord.wake ran, finished 0.01 s after it was due")
    logger.info("after the command: not printed by its handler")
    out = capsys.readouterr().out
    assert "INFO scheduler lease taken by host:42; running jobs" in out
    assert "accord.wake" not in out and "after the command" not in out
