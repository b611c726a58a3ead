"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from accord.migrate import DatabaseUnreachable, NotMigrated, check_migrated
from accord.scheduler.lease import scheduler_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The database is reachable and migrated; and, where this hub serves with its scheduler
    (``SCHEDULER_REQUIRED``, set by ``serve --scheduler``), a scheduler is running jobs."""
    try:
        check_migrated(current_app)
    except DatabaseUnreachable as exc:
        # The probe is public: the address and driver message go to the log, not the client.
        log.warning("readiness probe: %s", exc)
        return jsonify(status="unavailable", reason="database unreachable"), 503
    except NotMigrated as exc:
        return jsonify(status="unavailable", reason=str(exc)), 503
    if current_app.config.get("SCHEDULER_REQUIRED"):
        scheduler = scheduler_state(current_app)
        if scheduler["state"] != "running":
            return jsonify(status="unavailable", reason=f"scheduler down: {scheduler['reason']}",
                           scheduler=scheduler), 503
        return jsonify(status="ready", scheduler=scheduler)
    return jsonify(status="ready")
