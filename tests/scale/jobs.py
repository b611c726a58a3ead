"""A job function for the scheduler failover test: notes each run in a file."""

from __future__ import annotations

from pathlib import Path


def record_run(path: str, tag: str) -> None:
    with Path(path).open("a", encoding="utf-8") as runs:
        runs.write(tag + "\n")
