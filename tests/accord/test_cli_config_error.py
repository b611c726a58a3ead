"""A misconfigured hub stops the CLI with one clear line, never a traceback (issue 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ACCORD = Path(sys.executable).with_name("accord")


def test_missing_secret_in_production_is_one_clear_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_ENV": "production", "ACCORD_INSTANCE_PATH": str(tmp_path)})
    done = subprocess.run([str(ACCORD), "team", "list"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ACCORD_SECRET_KEY is not set.")


def test_help_on_a_misconfigured_hub_says_why_without_a_traceback(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_ENV": "production", "ACCORD_INSTANCE_PATH": str(tmp_path)})
    done = subprocess.run([str(ACCORD), "--help"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ACCORD_SECRET_KEY is not set.")
    assert "demo" in done.stdout and "serve" in done.stdout
