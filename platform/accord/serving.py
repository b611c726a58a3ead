"""Run the hub under gunicorn from Python (``accord serve`` and ``accord demo``)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from accord.db import database
from accord.scheduler.embedded import EmbeddedScheduler


class HubServer(BaseApplication):
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
          with_scheduler: bool = False) -> None:
    """Serve ``app`` on host:port until interrupted, with the scheduler beside it if asked.

    The connection pool is emptied first so forked workers never share a database connection.
    """
    database(app).engine.dispose()
    scheduler = EmbeddedScheduler(app) if with_scheduler else None
    app.config["SCHEDULER_REQUIRED"] = bool(with_scheduler)  # /readyz reports it
    if scheduler is not None:
        scheduler.start()
    try:
        _run_gunicorn(app, host, port, workers, threads)
    finally:
        if scheduler is not None:
            scheduler.stop()


def _run_gunicorn(app: Flask, host: str, port: int, workers: int, threads: int) -> None:
    HubServer(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss',
        },
    ).run()
