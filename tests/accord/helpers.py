"""Helpers for foundation tests: run ``accord`` and ``alembic`` as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from accord.assembly import MIGRATIONS
from tests.conftest import TEST_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def accord_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a separate ``accord``/``alembic`` process on ``database_url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_DATABASE_URL": database_url, "ACCORD_SECRET_KEY": TEST_SECRET, **extra})
    return env


def run(program: str, *args: str, env: dict[str, str], stdin: str = ""
        ) -> subprocess.CompletedProcess[str]:
    """Run a console script of this venv from the repository root and capture its output."""
    return subprocess.run([str(BIN / program), *args], cwd=REPO_ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def migration_head() -> str:
    """The one head revision of the shipped migrations."""
    heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
    assert len(heads) == 1, heads
    return str(heads[0])


def one_error_line(stderr: str) -> str:
    """The single ``Error: ...`` line a failed command prints (never a traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]
