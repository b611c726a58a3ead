"""The application factory (see ARCHITECTURE "Assembly")."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from accord import config, db, errorpages, health, proxies, registry

log = logging.getLogger("accord")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build a configured hub. Starts no scheduler and runs no migration."""
    app = Flask("accord", instance_relative_config=True)
    config.load(app, overrides)
    notices = config.validate(app)
    proxies.init_app(app)
    app.instance_path = app.config["INSTANCE_PATH"]
    for notice in notices:
        log.warning(notice)
        app.extensions.setdefault("accord.notices", []).append(notice)
    app.config["MAX_CONTENT_LENGTH"] = None  # TAXII enforces its own limit with a 413 resource
    db.init_app(app)
    errorpages.init_app(app)
    app.register_blueprint(health.bp)
    for blueprint in registry.BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in registry.CLI_GROUPS:
        app.cli.add_command(group)
    return app
