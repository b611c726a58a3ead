"""The whole hub: the features the assembly installs and its app factory.

Imported on first use of :mod:`accord.assembly`'s names, so the ``accord`` command's own help
does not load the web app (issue 15).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from accord.app import build_app
from accord.features import Feature
from advisories.feature import FEATURE as ADVISORIES
from exercises.feature import FEATURE as EXERCISES
from feeds.feature import FEATURE as FEEDS

FEATURES: tuple[Feature, ...] = (FEEDS, EXERCISES, ADVISORIES)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""The Alembic scripts of the whole hub, shipped in the package (wheel included)."""


def create_app(overrides: dict[str, Any] | None = None, *, http: bool = True) -> Flask:
    """The whole hub: defaults, then ``ACCORD_*`` variables, then ``overrides``; every feature.

    Starts no scheduler and runs no migration. ``http=False`` is the app of one ``accord``
    command: the same hub without blueprints and commands, so it imports no web module
    (:func:`accord.app.build_app`).
    """
    app = build_app(overrides, FEATURES, http=http)
    if not app.config.get("MIGRATIONS_DIR"):
        app.config["MIGRATIONS_DIR"] = str(MIGRATIONS)
    return app


__all__ = ["FEATURES", "create_app"]
