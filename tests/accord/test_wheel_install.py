"""The built wheel is a complete hub (issue 18): installed into a fresh virtual environment, away
from the source checkout, it creates a new database with ``accord db upgrade`` (the migrations
ship inside it) and serves ``/readyz``.

Nothing is fetched: the wheel is built with ``--no-build-isolation --no-index`` (setuptools and
wheel come with the test extras) and installed with ``--no-index --no-deps``; the new venv sees
the test venv's dependencies through a ``.pth`` line naming that site-packages directory. A path
added by a ``.pth`` line is not scanned for ``.pth`` files, so the editable finder that points
at the source tree is not installed there; the test checks ``accord`` really comes from the
wheel.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
         ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ACCORD_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, **extra}


def test_wheel_installs_migrates_and_serves(tmp_path: Path) -> None:
    dist, venv, work = tmp_path / "dist", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--quiet", "-w", str(dist), str(ROOT)], cwd=tmp_path, env=_clean_env())
    (wheel,) = dist.glob("accord-*.whl")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path,
         env=_clean_env())
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
          "--no-deps", "--quiet", str(wheel)], cwd=tmp_path, env=_clean_env())
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=work, env=_clean_env()).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    env = _clean_env(ACCORD_SECRET_KEY="wheel-test-" + "k" * 24,
                     ACCORD_DATABASE_URL=f"sqlite:///{work / 'hub.sqlite3'}",
                     ACCORD_INSTANCE_PATH=str(work / "instance"))
    origin = _run([str(python), "-c", "import accord, exercises, feeds; "
                   "print(accord.__file__, exercises.__file__, feeds.__file__)"],
                  cwd=work, env=env).stdout.split()
    assert all(path.startswith(str(site)) for path in origin), origin
    assert not any(path.startswith(str(ROOT)) for path in origin)

    accord = str(venv / "bin" / "accord")
    upgraded = _run([accord, "db", "upgrade"], cwd=work, env=env)
    assert "created" in upgraded.stdout.lower(), upgraded.stdout
    assert (work / "hub.sqlite3").is_file()
    again = _run([accord, "db", "upgrade"], cwd=work, env=env)
    assert "up to date" in again.stdout.lower(), again.stdout

    port = _free_port()
    server = subprocess.Popen([accord, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "1", "--threads", "2", "--no-scheduler"],
                              cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        status, body = _poll_readyz(f"http://127.0.0.1:{port}/readyz", server)
        assert status == 200, body
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "Traceback" not in output, output


def _poll_readyz(url: str, server: subprocess.Popen[str], deadline_s: float = 90
                 ) -> tuple[int, str]:
    """GET ``url`` until it answers (bounded: ``deadline_s``), failing early if the server
    exits."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"accord serve exited: {server.communicate()[0]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {deadline_s} s")
