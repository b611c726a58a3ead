"""A misconfigured hub stops the CLI with one clear line, never a traceback (issue 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ACCORD = Path(sys.executable).with_name("accord")
ROOT = Path(__file__).resolve().parents[2]


def test_missing_secret_in_production_is_one_clear_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_ENV": "production", "ACCORD_INSTANCE_PATH": str(tmp_path)})
    done = subprocess.run([str(ACCORD), "team", "list"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ACCORD_SECRET_KEY is not set.")


def test_help_on_a_misconfigured_hub_lists_every_command_without_a_traceback(
        tmp_path: Path) -> None:
    """``accord --help`` builds no hub (issue 15), so a bad setting cannot cut the list short;
    the setting is reported by the first command that needs the hub (test above)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_ENV": "production", "ACCORD_INSTANCE_PATH": str(tmp_path),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])})
    done = subprocess.run([sys.executable, "-m", "accord", "--help"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr == ""
    for name in ("demo", "serve", "team", "feeds", "exercise", "worker"):
        assert f"\n  {name} " in done.stdout
