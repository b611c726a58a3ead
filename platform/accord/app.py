"""The core application factory: the hub with the features the assembly hands it.

The core knows no feature by name (docs/ARCHITECTURE.md, "Layers"); the assembled factory is
:func:`accord.assembly.create_app`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask

from accord import api, config, db, errorpages, features, health, proxies, requestguard, taxii, web
from accord.api import agreements as agreements_api
from accord.cli.admin import ADMIN_GROUPS
from accord.cli.scheduling import scheduler_command
from accord.cli.worker import worker_command
from accord.features import Feature
from accord.oversight.demo import seed_demo_agreement
from accord.sharing.demo import seed_demo_indicators
from accord.web import agreement_views

log = logging.getLogger("accord")

CORE = Feature(
    name="core",
    commands=(*ADMIN_GROUPS, scheduler_command, worker_command),
    demo_seeders=(seed_demo_indicators, seed_demo_agreement),
    dashboard_panels=(agreement_views.PANEL,),
)


def build_app(overrides: dict[str, Any] | None, extra: Sequence[Feature] = ()) -> Flask:
    """Build a configured hub with ``extra`` features. Starts no scheduler, runs no migration."""
    app = Flask("accord", instance_relative_config=True)
    config.load(app, overrides)
    notices = config.validate(app)
    proxies.init_app(app)
    app.instance_path = app.config["INSTANCE_PATH"]
    for notice in notices:
        log.warning(notice)
        app.extensions.setdefault("accord.notices", []).append(notice)
    app.config["MAX_CONTENT_LENGTH"] = None  # TAXII enforces its own limit with a 413 resource
    installed = (CORE, *extra)
    features.install(app, installed)
    db.init_app(app)
    errorpages.init_app(app)
    requestguard.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(taxii.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(agreements_api.bp)
    for feature in installed:
        for blueprint in feature.blueprints:
            app.register_blueprint(blueprint)
    app.register_blueprint(web.create_blueprint([p for f in installed for p in f.pages]))
    for feature in installed:
        for command in feature.commands:
            app.cli.add_command(command)
    return app
