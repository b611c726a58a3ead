"""docs/cli.md is generated from the real ``--help`` output and CI fails when it is stale
(issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.models.users import Role
from tests.factories import make_token, make_user

ROOT = Path(__file__).resolve().parents[2]
# This checkout's code, not whatever the installed distribution points at.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}


@pytest.mark.slow
def test_docs_cli_md_is_the_generated_help() -> None:
    done = subprocess.run([sys.executable, "-m", "accord.assembly.clidocs", "--check",
                           str(ROOT / "docs" / "cli.md")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=ENV)
    assert done.returncode == 0, done.stderr + "\nRun `make docs` and commit docs/cli.md."


@pytest.mark.slow
def test_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text((ROOT / "docs" / "cli.md").read_text().replace("--help", "--hepl", 1))
    done = subprocess.run([sys.executable, "-m", "accord.assembly.clidocs", "--check",
                           str(stale)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=ENV)
    assert done.returncode == 1
    assert "is stale: run `make docs`" in done.stderr


def test_role_message_names_each_role_once(client: FlaskClient, session: Session) -> None:
    """A service token on an admin-only endpoint: "admin", not "admin, admin"."""
    user = make_user(session, role=Role.SERVICE)
    _token, secret = make_token(session, user)
    response = client.get("/api/v1/feeds", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403
    assert "needs one of these roles: admin." in response.get_data(as_text=True)
    assert "admin, admin" not in response.get_data(as_text=True)
