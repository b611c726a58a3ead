"""The core application factory: the hub with the features the assembly hands it.

The core knows no feature by name (docs/ARCHITECTURE.md, "Layers"); the assembled factory is
:func:`accord.assembly.create_app`.

An app that serves HTTP registers every blueprint (TAXII, API, web pages) and command. A
command's app (``http=False``, issue 15) is the same hub without them: configuration, database,
error handling and the features' hooks, so ``accord team list`` never imports the web app.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask

from accord import config, db, errorpages, features, proxies, requestguard
from accord.features import Feature, Ref

log = logging.getLogger("accord")

CORE = Feature(
    name="core",
    commands=tuple(Ref(f"accord.cli.{target}") for target in (
        "dbcmd:db_group", "directory:team_group", "directory:trust_group_group",
        "directory:user_group", "access:token_group", "access:collection_group",
        "agreements:agreements_group", "sharing:share_command", "sharing:export_command",
        "scheduling:scheduler_command", "worker:worker_command")),
    demo_seeders=(Ref("accord.sharing.demo:seed_demo_indicators"),
                  Ref("accord.oversight.demo:seed_demo_agreement")),
    dashboard_panels=(Ref("accord.web.agreement_views:PANEL"),),
)


def build_app(overrides: dict[str, Any] | None, extra: Sequence[Feature] = (), *,
              http: bool = True) -> Flask:
    """Build a configured hub with ``extra`` features. Starts no scheduler, runs no migration.

    ``http=False``: the app of one command, without blueprints or CLI commands (see above).
    """
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
    if http:
        _register_http(app, installed)
    return app


def _register_http(app: Flask, installed: Sequence[Feature]) -> None:
    """Every blueprint (health, TAXII, API, the web shell with each feature's pages) and every
    command of ``installed``, in this order."""
    from accord import api, health, taxii, web
    from accord.api import agreements as agreements_api

    app.register_blueprint(health.bp)
    app.register_blueprint(taxii.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(agreements_api.bp)
    for feature in installed:
        for blueprint in features.blueprints(feature):
            app.register_blueprint(blueprint)
    app.register_blueprint(web.create_blueprint(features.pages(installed)))
    for feature in installed:
        for command in features.commands(feature):
            app.cli.add_command(command)
