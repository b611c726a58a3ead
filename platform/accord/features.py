"""What a feature package plugs into the core hub, and the hooks the core offers it.

The core (``accord``) never imports a feature (``feeds``, ``exercises``): each feature describes
itself with a :class:`Feature`, and only the assembly (:mod:`accord.assembly`) lists them and
hands them to :func:`accord.app.build_app`. The core reads them back per app from
``app.extensions`` (see docs/ARCHITECTURE.md, "Layers").

A feature names its parts either directly or by import path (:class:`Ref`,
``"feeds.api:bp"``), so importing a :class:`Feature` stays cheap: its API and web modules are
imported when an app serving HTTP registers them, and a command's app context never loads them
(issue 15). Readers get the parts resolved through the functions of this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Generic, TypeAlias, TypeVar, Union, cast

import click
from flask import Blueprint, Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord.models.users import Role, User

EXTENSION_KEY = "accord.features"
T = TypeVar("T")


@dataclass(frozen=True)
class Ref(Generic[T]):
    """A part named by import path, ``"module:attribute"`` (``"module:a.b"`` for a nested
    attribute), imported when first resolved."""

    target: str

    def load(self) -> T:
        module, _, path = self.target.partition(":")
        found: Any = import_module(module)
        for name in path.split("."):
            found = getattr(found, name)
        return cast(T, found)


Part: TypeAlias = Union[T, Ref[T]]  # noqa: UP007 (a generic alias needs Union on 3.11)
"""A part of a feature: the object itself, or where to import it from."""


def resolve(parts: Sequence[T | Ref[T]]) -> list[T]:
    """``parts`` with every :class:`Ref` imported."""
    return [part.load() if isinstance(part, Ref) else part for part in parts]


@dataclass(frozen=True)
class NavLink:
    """An entry of the web UI's main navigation, shown to ``roles`` (empty: everyone)."""

    label: str
    endpoint: str
    roles: frozenset[Role] = frozenset()

    def visible_to(self, user: User) -> bool:
        return not self.roles or user.role in self.roles

    def is_current(self, endpoint: str | None) -> bool:
        """The link is the current page when the endpoint is in the same blueprint."""
        return (endpoint or "").startswith(self.endpoint.rsplit(".", 1)[0] + ".")


@dataclass(frozen=True)
class DashboardPanel:
    """A section of the dashboard: a template and the context it needs for ``user``.

    ``context`` returns None when the panel has nothing to show to that user (for example
    an admin-only panel for an analyst).
    """

    template: str
    context: Callable[[Session, User], dict[str, Any] | None]


@dataclass(frozen=True)
class AuditTarget:
    """What the audit log shows for one target: its name, and a link when it has a page."""

    label: str
    url: str | None = None


TargetLookup = Callable[[Session, Sequence[uuid.UUID]], Mapping[str, AuditTarget]]
"""The targets with these ids, keyed by the id as text (ids that no longer exist left out).
Called inside a request, once per page of events, so it may use ``url_for``."""


@dataclass(frozen=True)
class AuditTargets:
    """How the audit log names and links one target type (``exercise``, ``feed``, ...)."""

    target_type: str
    resolve: TargetLookup


def named_by_column(id_column: InstrumentedAttribute[uuid.UUID],
                    name_column: InstrumentedAttribute[str],
                    url: Callable[[str], str] | None = None) -> TargetLookup:
    """A :data:`TargetLookup` naming each row by ``name_column`` and linking it with
    ``url(target_id)``."""
    def lookup(session: Session, ids: Sequence[uuid.UUID]) -> Mapping[str, AuditTarget]:
        rows = session.execute(select(id_column, name_column).where(id_column.in_(ids)))
        return {str(row_id): AuditTarget(str(name), url(str(row_id)) if url else None)
                for row_id, name in rows}
    return lookup


@dataclass(frozen=True)
class Feature:
    """Everything one feature package registers with the hub."""

    name: str
    blueprints: Sequence[Part[Blueprint]] = ()
    """Top-level blueprints (JSON API routes)."""
    pages: Sequence[Part[Blueprint]] = ()
    """Web pages: child blueprints of the web shell (``web.<name>.*`` endpoints)."""
    commands: Sequence[Part[click.Command]] = ()
    nav_links: Sequence[NavLink] = ()
    dashboard_panels: Sequence[Part[DashboardPanel]] = ()
    demo_seeders: Sequence[Part[Callable[[Session], None]]] = ()
    """Add the feature's demo content after the core demo records exist."""
    template_filters: Sequence[tuple[str, Part[Callable[..., Any]]]] = ()
    on_lead: Sequence[Part[Callable[[Flask], None]]] = ()
    """Run when this process's scheduler becomes the leader, before jobs run (for example to
    bring the job store back in step with the database after a crash or an upgrade)."""
    audit_targets: Sequence[Part[AuditTargets]] = ()
    """Names and links of the audit target types the feature records, for the audit log."""


def install(app: Flask, features: Sequence[Feature]) -> None:
    """Remember ``features`` on ``app`` so the core's hooks can read them."""
    app.extensions[EXTENSION_KEY] = tuple(features)
    for feature in features:
        for name, function in feature.template_filters:
            app.add_template_filter(_on_first_call(function), name)


def _on_first_call(part: Part[Callable[..., Any]]) -> Callable[..., Any]:
    """``part`` as a callable; a :class:`Ref` is imported when the filter is first used."""
    if not isinstance(part, Ref):
        return part
    target: Ref[Callable[..., Any]] = part

    def call(*args: Any, **kwargs: Any) -> Any:
        return target.load()(*args, **kwargs)
    return call


def blueprints(feature: Feature) -> list[Blueprint]:
    return resolve(feature.blueprints)


def pages(features: Sequence[Feature]) -> list[Blueprint]:
    return [page for feature in features for page in resolve(feature.pages)]


def commands(feature: Feature) -> list[click.Command]:
    return resolve(feature.commands)


def installed(app: Flask | None = None) -> tuple[Feature, ...]:
    """The features of ``app`` (default: the current app), in assembly order."""
    target = app if app is not None else current_app
    features: tuple[Feature, ...] = target.extensions.get(EXTENSION_KEY, ())
    return features


def nav_links(app: Flask | None = None) -> list[NavLink]:
    return [link for feature in installed(app) for link in feature.nav_links]


def dashboard_panels(app: Flask | None = None) -> list[DashboardPanel]:
    return [panel for feature in installed(app) for panel in resolve(feature.dashboard_panels)]


def demo_seeders(app: Flask) -> list[Callable[[Session], None]]:
    return [seeder for feature in installed(app) for seeder in resolve(feature.demo_seeders)]


def lead_tasks(app: Flask) -> list[Callable[[Flask], None]]:
    return [task for feature in installed(app) for task in resolve(feature.on_lead)]


def audit_targets(app: Flask | None = None) -> list[AuditTargets]:
    return [targets for feature in installed(app) for targets in resolve(feature.audit_targets)]
