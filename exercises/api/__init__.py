"""The exercises JSON API under ``/api/v1/exercises`` (one blueprint, routes in submodules).

``bp`` is resolved on first use (PEP 562), with every route module imported then, so
importing :mod:`exercises.api.presenters` (the CLI's run summaries) loads no route (issue 15).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exercises.api.common import bp

__all__ = ["bp"]


def __getattr__(name: str) -> Any:
    """``bp``: the blueprint with every route registered."""
    if name == "bp":
        from exercises.api import judging, messages, play, runs, scenarios  # noqa: F401
        from exercises.api.common import bp

        return bp
    raise AttributeError(f"module 'exercises.api' has no attribute {name!r}")
