"""The JSON API under ``/api/v1`` (administration and everything the web UI and CLI can do)."""

from accord.api.blueprint import bp

__all__ = ["bp"]
