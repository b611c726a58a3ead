"""Server processes for bench/taxii_bench.py: Accord, medallion 3.0.0 and OpenTAXII 0.10.0b1 under
gunicorn; RSS sampling.

Every server is a child process bound to 127.0.0.1 in its own session, stopped by its own id
(SIGTERM to the gunicorn master, then SIGKILL to that process group if it lingers).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
ACCORD = Path(sys.executable).with_name("accord")  # the console script of the running venv
MEDALLION_USER, MEDALLION_PASSWORD = "admin", "Password0"
MEDALLION_COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
OPENTAXII_USER, OPENTAXII_PASSWORD = "bench", "Password0"
OPENTAXII_API_ROOT = "5d0c2c16-3b7e-4f63-9a52-6f3c1d1f0b11"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _proc_kib(path: str, field: str) -> int:
    """One ``field: N kB`` value of a /proc file, 0 if the process is gone."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (shared pages counted in full)."""
    return _proc_kib(f"/proc/{pid}/status", "VmRSS:")


def pss_kib(pid: int) -> int:
    """Proportional set size in KiB (pages shared after fork counted once overall)."""
    return _proc_kib(f"/proc/{pid}/smaps_rollup", "Pss:")


class RssSampler:
    """Samples VmRSS (and PSS) of a server and its workers every ``interval`` s; keeps maxima."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.max_total_kib = self.max_process_kib = self.max_pss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        pids = [self.pid, *children(self.pid)]
        sizes = [rss_kib(pid) for pid in pids]
        self.max_pss_kib = max(self.max_pss_kib, sum(pss_kib(pid) for pid in pids))
        self.max_total_kib = max(self.max_total_kib, sum(sizes))
        self.max_process_kib = max(self.max_process_kib, *sizes)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class ServerProcess:
    """A server child process on 127.0.0.1 that is ready once ``probe_url`` answers."""

    def __init__(self, argv: list[str], probe_url: str, log: Path,
                 env: dict[str, str] | None = None, auth: Any = None) -> None:
        self.argv, self.probe_url, self.log, self.env, self.auth = argv, probe_url, log, env, auth
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> ServerProcess:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                         env=self.env, start_new_session=True, cwd=ROOT)
        deadline = time.monotonic() + 60
        headers = {"Accept": "application/taxii+json;version=2.1"}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.probe_url, headers=headers, auth=self.auth,
                                timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready in 60 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def accord_server(database_url: str, secret: str, instance: Path, workers: int, threads: int
                  ) -> tuple[ServerProcess, str]:
    """``accord serve`` (gunicorn, gthread) on a free port, and its base URL."""
    port = free_port()
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]), **os.environ,
           "ACCORD_DATABASE_URL": database_url, "ACCORD_SECRET_KEY": secret,
           "ACCORD_INSTANCE_PATH": str(instance), "ACCORD_ENV": "production"}
    argv = [str(ACCORD), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads)]
    url = f"http://127.0.0.1:{port}"
    return ServerProcess(argv, f"{url}/readyz", instance / "server.log", env), url


def medallion_server(venv: Path, workdir: Path, page_size: int) -> tuple[ServerProcess, str]:
    """medallion 3.0.0, memory backend, one gunicorn sync worker (its data is per process)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = {
        "/discovery": {"title": "medallion bench", "description": "bench",
                       "contact": "nobody@example.invalid", "default": f"{url}/api1/",
                       "api_roots": [f"{url}/api1/"]},
        "api1": {
            "information": {"title": "API root 1", "description": "bench",
                            "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 100 * 1024 * 1024},
            "status": [],
            "collections": [{"id": MEDALLION_COLLECTION, "title": "Indicators",
                             "description": "bench", "can_read": True, "can_write": True,
                             "media_types": ["application/stix+json;version=2.1"],
                             "objects": [], "manifest": []}],
        },
    }
    (workdir / "data.json").write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend",
                          "module_class": "MemoryBackend", "filename": str(workdir / "data.json"),
                          "session_timeout": 600},
              "users": {MEDALLION_USER: MEDALLION_PASSWORD},
              "taxii": {"max_page_size": page_size}}
    (workdir / "config.json").write_text(json.dumps(config))
    argv = [str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--timeout", "600", f"medallion:load_app({str(workdir / 'config.json')!r})"]
    server = ServerProcess(argv, f"{url}/taxii2/", workdir / "server.log",
                           auth=(MEDALLION_USER, MEDALLION_PASSWORD))
    return server, f"{url}/api1/collections/{MEDALLION_COLLECTION}/"


def opentaxii_server(venv: Path, workdir: Path, workers: int) -> tuple[ServerProcess, str]:
    """OpenTAXII 0.10.0b1 (TAXII 2.1, SQLite persistence, stix2-validated adds) under gunicorn,
    with one API root, one public read/write collection and a basic-auth admin account."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = {
        "domain": f"127.0.0.1:{port}", "support_basic_auth": True,
        "auth_api": {"class": "opentaxii.auth.sqldb.SQLDatabaseAPI", "parameters": {
            "db_connection": f"sqlite:///{workdir / 'auth.db'}", "create_tables": True,
            "secret": "opentaxii-benchmark-secret-long-enough-for-hs256", "token_ttl_secs": 3600}},
        "taxii1": {"persistence_api": {
            "class": "opentaxii.persistence.sqldb.SQLDatabaseAPI", "parameters": {
                "db_connection": f"sqlite:///{workdir / 'data1.db'}", "create_tables": True}}},
        "taxii2": {"persistence_api": {
            "class": "opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI", "parameters": {
                "db_connection": f"sqlite:///{workdir / 'data.db'}", "create_tables": True}},
            "title": "OpenTAXII bench", "public_discovery": True,
            "max_content_length": 209715200},
        "logging": {"opentaxii": "warning", "root": "warning"},
    }
    (workdir / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    env = {**os.environ, "OPENTAXII_CONFIG": str(workdir / "config.yml")}
    tools = venv / "bin"
    for argv in ([tools / "opentaxii-add-api-root", "-t", "bench", "--default", "--public",
                  "-i", OPENTAXII_API_ROOT],
                 [tools / "opentaxii-add-collection", "-r", OPENTAXII_API_ROOT, "-t",
                  "Indicators", "--public", "--public-write"],
                 [tools / "opentaxii-create-account", "-u", OPENTAXII_USER, "-p",
                  OPENTAXII_PASSWORD, "-a"]):
        subprocess.run([str(part) for part in argv], env=env, cwd=workdir, check=True,
                       capture_output=True, timeout=120)
    argv = [str(tools / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--timeout", "600", "opentaxii.http:app"]
    server = ServerProcess(argv, f"{url}/taxii2/", workdir / "server.log", env,
                           auth=(OPENTAXII_USER, OPENTAXII_PASSWORD))
    return server, f"{url}/taxii2/{OPENTAXII_API_ROOT}/"


def opentaxii_collection_url(root_url: str) -> str:
    """The bench collection's URL, read from the API root's collection list."""
    body = requests.get(f"{root_url}collections/", auth=(OPENTAXII_USER, OPENTAXII_PASSWORD),
                        headers={"Accept": "application/taxii+json;version=2.1"},
                        timeout=30).json()
    return f"{root_url}collections/{body['collections'][0]['id']}/"


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds used so far by ``pids`` (0 for a process that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")
