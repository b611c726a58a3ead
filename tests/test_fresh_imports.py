"""Every module of accord, feeds and exercises imports first in a fresh interpreter.

The suite's conftest imports the assembled app first, which hides import cycles: a module that
only works when something else was imported before it breaks ``python -c "import M"``, a
worker that imports a job function, or a tool that loads one module (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ((ROOT / "platform", "accord"), (ROOT, "feeds"), (ROOT, "exercises"))
# Entry points do their work on import (run the CLI, build the app for gunicorn); they are
# exercised by the CLI and serving tests instead.
ENTRY_POINTS = {"accord.__main__", "accord.assembly.wsgi"}


def all_modules() -> list[str]:
    names = {".".join(p.relative_to(base).with_suffix("").parts).removesuffix(".__init__")
             for base, package in PACKAGES for p in (base / package).rglob("*.py")
             if "migrations" not in p.parts}  # Alembic scripts, run by Alembic only
    return sorted(names - ENTRY_POINTS)


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = all_modules()
    assert len(modules) > 100
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "fresh_import.py"), *modules],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    failures = json.loads(done.stdout.strip().splitlines()[-1])
    assert failures == {}


def test_python_dash_m_accord_runs_the_assembled_cli(tmp_path: Path) -> None:
    """``python -m accord`` is the assembled CLI, with every feature's commands."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
           "ACCORD_SECRET_KEY": "fresh-import-test-secret-key-long-enough",
           "ACCORD_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}"}
    done = subprocess.run([sys.executable, "-m", "accord", "--help"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "exercise" in done.stdout and "feeds" in done.stdout
