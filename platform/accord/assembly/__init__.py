"""The assembly: the one place that names Accord's features and builds the whole hub.

Dependencies point one way (docs/ARCHITECTURE.md, "Layers"): the core ``accord`` knows no
feature, the features (``feeds``, ``exercises``) import the core, and only this package imports
both. The app factory (:mod:`accord.assembly.factory`), the ``accord`` command, the WSGI entry
point and the demo live here.

``create_app``, ``FEATURES`` and ``MIGRATIONS`` are imported from the factory when first used
(PEP 562), so importing ``accord.assembly.cli`` for ``accord --help`` stays light (issue 15).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.assembly.factory import FEATURES, MIGRATIONS, create_app

__all__ = ["FEATURES", "MIGRATIONS", "create_app"]


def __getattr__(name: str) -> Any:
    """The factory's public names, imported on first use."""
    if name in __all__:
        return getattr(import_module("accord.assembly.factory"), name)
    raise AttributeError(f"module 'accord.assembly' has no attribute {name!r}")
