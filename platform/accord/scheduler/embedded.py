"""The scheduler beside the web server on one machine (``accord serve --scheduler``).

It runs as a child process (``python -m accord scheduler``) with the hub's own settings rather
than as a thread in gunicorn's master, so no thread ever crosses a worker fork. It takes the
database lease like any other scheduler, so a separate ``accord scheduler`` stays a standby.
"""

from __future__ import annotations

import os
import subprocess
import sys

from flask import Flask

SETTINGS = ("DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH", "ENV", "MIGRATIONS_DIR")


def scheduler_environment(app: Flask) -> dict[str, str]:
    """The environment that makes ``accord scheduler`` build the same hub as ``app``."""
    env = dict(os.environ)
    for key in SETTINGS:
        value = app.config.get(key)
        if value:
            env[f"ACCORD_{key}"] = str(value)
    if env.get("ACCORD_ENV") == "testing":
        env["ACCORD_ENV"] = "development"
    return env


class EmbeddedScheduler:
    """Start, and always stop, a scheduler child process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # -P: never import from the working directory, where a folder named ``accord``
        # would shadow the package and kill the scheduler at start.
        self.process = subprocess.Popen([sys.executable, "-P", "-m", "accord", "scheduler"],
                                        env=scheduler_environment(self.app))

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (the scheduler gives its lease up), then SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
