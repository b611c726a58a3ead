"""Run a hub as several `accord serve` nodes behind nginx on 127.0.0.1 (scale tests, load bench)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def code_of(tree: Path) -> dict[str, str]:
    """``PYTHONPATH`` that makes an ``accord`` process run the code of ``tree`` (the venv's
    console script would otherwise import the checkout the venv was installed from)."""
    return {"PYTHONPATH": os.pathsep.join([str(tree / "platform"), str(tree)])}


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path,
                     timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready in {timeout} s:\n{log.read_text()[-3000:]}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn master and workers at once)."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)


@dataclass
class Cluster:
    """N hub nodes and an nginx in front of them, all on loopback."""

    workdir: Path
    env: dict[str, str]
    nodes: list[Process] = field(default_factory=list)
    node_ports: list[int] = field(default_factory=list)
    proxy: Process | None = None
    proxy_port: int = 0
    others: list[Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def start(self, nodes: int = 3, workers: int = 1) -> None:
        """``nodes`` hub nodes of ``workers`` gunicorn processes (4 threads each), then nginx."""
        self.node_ports = [free_port() for _ in range(nodes)]
        for index, port in enumerate(self.node_ports):
            self.nodes.append(self.spawn(
                f"node{index}", [str(BIN / "accord"), "serve", "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", str(workers), "--threads", "4",
                                 "--no-scheduler"],
                ACCORD_INSTANCE_PATH=str(self.workdir / f"node{index}")))
        for node, port in zip(self.nodes, self.node_ports, strict=True):
            wait_until_ready(f"http://127.0.0.1:{port}/readyz", node.popen, node.log)
        self.proxy_port = free_port()
        config = self.nginx_config()
        self.proxy = self.spawn("nginx", [NGINX, "-c", str(config), "-p", str(self.workdir)])
        wait_until_ready(f"{self.url}/readyz", self.proxy.popen, self.proxy.log)

    def spawn(self, name: str, command: list[str], **extra_env: str) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as output:
            popen = subprocess.Popen(command, cwd=ROOT,
                                     env={**code_of(ROOT), **self.env, **extra_env},
                                     stdout=output, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        process = Process(name, popen, log)
        self.others.append(process)
        return process

    def nginx_config(self) -> Path:
        """The test's nginx: the deploy/ proxy settings, loopback upstreams, no TLS."""
        temp = self.workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                            for port in self.node_ports)
        user = "user root;\n" if os.geteuid() == 0 else ""
        config = self.workdir / "nginx.conf"
        config.write_text(f"""{user}daemon off;
worker_processes 1;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  upstream accord_nodes {{
{servers}
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{self.proxy_port};
    large_client_header_buffers 8 64k;
    location / {{
      include {ROOT}/deploy/nginx/accord-proxy.conf;
      proxy_pass http://accord_nodes;
    }}
  }}
}}
""")
        return config

    def stop(self) -> None:
        for process in reversed(self.others):
            if process.popen.poll() is None:
                try:
                    os.killpg(process.popen.pid, signal.SIGTERM)
                    process.popen.wait(15)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    process.kill()
