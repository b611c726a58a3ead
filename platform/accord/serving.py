"""Run the hub under gunicorn from Python (``accord serve`` and ``accord demo``)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from accord.db import database
from accord.scheduler.embedded import EmbeddedScheduler


class HubServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    """A gunicorn application serving an already-built Flask app."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, host: str, port: int, workers: int, threads: int = 4,
          with_scheduler: bool = False, demo: bool = False) -> None:
    """Serve ``app`` on host:port until interrupted, with the scheduler beside it if asked.

    The connection pool is emptied first so forked workers never share a database connection.
    The demo stops within a few seconds on Ctrl-C (a short graceful timeout). The objects of
    the built app are frozen out of the garbage collector: its full collections then scan
    only what requests make (for an envelope of 1,000 objects, a fifth of the collector's
    time), and forked workers keep sharing those pages.
    """
    database(app).engine.dispose()
    gc.freeze()
    scheduler = EmbeddedScheduler(app) if with_scheduler else None
    app.config["SCHEDULER_REQUIRED"] = bool(with_scheduler)  # /readyz reports it
    if scheduler is not None:
        scheduler.start()
    try:
        _run_gunicorn(app, host, port, workers, threads, demo)
    finally:
        if scheduler is not None:
            scheduler.stop()


def gunicorn_options(app: Flask, host: str, port: int, workers: int, threads: int,
                     demo: bool) -> dict[str, Any]:
    """The gunicorn settings of ``accord serve`` and ``accord demo``."""
    instance = Path(app.config["INSTANCE_PATH"])
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        # gunicorn caps its request line at 8190 bytes unless the limit is off (0); 500 ids
        # in match[id] need about 25-48 KiB, so the hub measures the URI itself and answers
        # a longer one with its own 414 (accord.requestguard, ACCORD_MAX_URL_LENGTH).
        "limit_request_line": 0,
        # Forwarded headers are Accord's to judge (ACCORD_TRUSTED_PROXIES), not gunicorn's.
        "forwarded_allow_ips": "",
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss',
        # gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl, shared by every
        # gunicorn of the user: keep this hub's in its own instance folder.
        "control_socket": str(instance / "gunicorn.ctl"),
        "graceful_timeout": 3 if demo else 30,
    }


def _run_gunicorn(app: Flask, host: str, port: int, workers: int, threads: int,
                  demo: bool) -> None:
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    HubServer(app, gunicorn_options(app, host, port, workers, threads, demo)).run()
