"""The exercises JSON API under ``/api/v1/exercises`` (one blueprint, routes in submodules)."""

from exercises.api import judging, messages, play, runs, scenarios  # noqa: F401  (register routes)
from exercises.api.common import bp

__all__ = ["bp"]
