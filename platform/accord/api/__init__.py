"""The JSON API under ``/api/v1`` (administration and everything the web UI and CLI can do)."""

from accord.api import objects
from accord.api.blueprint import bp

bp.register_blueprint(objects.bp)

__all__ = ["bp"]
