"""The CLI finds its hub, never creates a database by accident, and fails in one line.

Each command runs as the real ``accord`` script in its own process, as an operator would.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from flask import Flask

from accord.serving import gunicorn_options
from tests.accord.helpers import BIN, one_error_line
from tests.conftest import TEST_SECRET


def accord(*args: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """``accord ARGS`` in ``cwd`` with no ACCORD_* variable but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return subprocess.run([str(BIN / "accord"), *args], cwd=cwd, env={**clean, **env},
                          input=stdin, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where `accord demo --no-serve` built its hub (instance/ inside)."""
    folder = tmp_path_factory.mktemp("newcomer")
    built = accord("demo", "--no-serve", cwd=folder)
    assert built.returncode == 0, built.stderr
    assert "instance/accord.toml" in built.stdout
    return folder


def test_the_demo_writes_a_private_config_file_the_cli_finds(demo_folder: Path) -> None:
    config = demo_folder / "instance" / "accord.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    settings = tomllib.loads(config.read_text())
    assert settings["DATABASE_URL"].endswith("instance/accord-demo.sqlite3")
    assert len(settings["SECRET_KEY"]) >= 32
    listed = accord("team", "list", cwd=demo_folder)  # from the demo's folder: found alone
    assert listed.returncode == 0, listed.stderr
    assert "Lotus CERT" in listed.stdout and "Baltic CERT" in listed.stdout


def test_config_from_anywhere_with_the_option_or_the_variable(demo_folder: Path,
                                                              tmp_path: Path) -> None:
    config = demo_folder / "instance" / "accord.toml"
    by_option = accord("--config", str(config), "team", "list", cwd=tmp_path)
    by_variable = accord("team", "list", cwd=tmp_path, ACCORD_CONFIG=str(config))
    for done in (by_option, by_variable):
        assert done.returncode == 0, done.stderr
        assert "Andes CERT" in done.stdout
    assert not (tmp_path / "instance").exists()  # nothing created where the command ran


def test_the_secret_in_the_config_file_survives_between_commands(demo_folder: Path) -> None:
    """A feed secret encrypted by one command is decrypted by the next (same key)."""
    added = accord("feeds", "add", "partner-mirror", "--kind", "taxii21-pull", "--partner-team",
                   "Baltic CERT", "--auth", "basic", "--url", "http://127.0.0.1:1/taxii2/api/",
                   "--remote-collection", "x", "--collection", "Partner indicators",
                   "--username", "sync", "--secret-stdin", cwd=demo_folder, stdin="s3cret\n")
    assert added.returncode == 0, added.stderr
    ran = accord("feeds", "run", "partner-mirror", cwd=demo_folder)  # nothing listens on :1
    output = ran.stdout + ran.stderr
    assert "cannot be decrypted" not in output and "s3cret" not in output
    assert "Run failed" in output


def test_environment_variables_override_the_config_file(demo_folder: Path,
                                                        tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere.sqlite3"
    done = accord("team", "list", cwd=demo_folder, ACCORD_DATABASE_URL=f"sqlite:///{missing}")
    assert done.returncode == 1
    assert str(missing) in one_error_line(done.stderr)


def test_no_command_creates_a_database_by_accident(tmp_path: Path) -> None:
    target = tmp_path / "hub.sqlite3"
    env = {"ACCORD_DATABASE_URL": f"sqlite:///{target}", "ACCORD_SECRET_KEY": TEST_SECRET}
    for args in (["team", "list"], ["db", "check"], ["serve", "--port", "1"]):
        done = accord(*args, cwd=tmp_path, **env)
        assert done.returncode == 1, args
        assert "accord db upgrade" in one_error_line(done.stderr), args
        assert not target.exists(), args
    created = accord("db", "upgrade", cwd=tmp_path, **env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines()[-1].startswith("Created the Accord schema (revision ")
    assert target.exists()


def test_bad_config_files_are_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("DATABASE_URL = 'sqlite:///x\n")
    bad = accord("team", "list", cwd=tmp_path, ACCORD_CONFIG=str(broken))
    assert "is not valid TOML" in one_error_line(bad.stderr)
    absent = accord("team", "list", cwd=tmp_path, ACCORD_CONFIG=str(tmp_path / "none.toml"))
    assert "is not a file" in one_error_line(absent.stderr)


@pytest.mark.parametrize(("url", "cause"), [
    ("sqlite:////nonexistent-accord-dir/sub/hub.sqlite3",
     "the SQLite folder /nonexistent-accord-dir/sub does not exist"),
    ("postgresql://postgres@127.0.0.1:1/accord",
     "PostgreSQL at 127.0.0.1:1 refused the connection (is it running?)"),
    # The machine's PostgreSQL (always running here and in CI) answers these two.
    ("postgresql://no_such_role_x@127.0.0.1:5432/postgres",
     "PostgreSQL role 'no_such_role_x' does not exist at 127.0.0.1:5432/postgres"),
    ("postgresql://postgres@127.0.0.1:5432/no_such_db_x",
     "PostgreSQL database 'no_such_db_x' does not exist at 127.0.0.1:5432"),
])
def test_db_upgrade_names_the_real_cause_in_one_line(url: str, cause: str,
                                                     tmp_path: Path) -> None:
    done = accord("db", "upgrade", cwd=tmp_path, ACCORD_DATABASE_URL=url,
                  ACCORD_SECRET_KEY=TEST_SECRET)
    assert done.returncode == 1
    assert one_error_line(done.stderr) == f"Error: {cause}"


def test_version_and_help_show_only_accords_options(tmp_path: Path) -> None:
    version = accord("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("accord ")
    shown = accord("--help", cwd=tmp_path, ACCORD_SECRET_KEY=TEST_SECRET,
                   ACCORD_DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}")
    assert shown.returncode == 0, shown.stderr
    for flask_only in ("--env-file", "--app", "--debug"):
        assert flask_only not in shown.stdout
    assert "--config FILE" in shown.stdout and "--version" in shown.stdout


def test_demo_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = accord("demo", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""  # no banner, no tokens printed
    assert f"cannot serve on 127.0.0.1:{port}" in one_error_line(done.stderr)
    assert not (tmp_path / "instance").exists()


def test_gunicorn_keeps_its_control_socket_in_the_instance_folder(app: Flask) -> None:
    options = gunicorn_options(app, "127.0.0.1", 8000, 2, 4, demo=True)
    assert options["control_socket"] == str(Path(app.config["INSTANCE_PATH"]) / "gunicorn.ctl")
    assert options["graceful_timeout"] <= 5  # Ctrl-C on the demo ends within seconds
