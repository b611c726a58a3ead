"""What the feeds package plugs into the hub (read by :mod:`accord.assembly`).

Parts are named by import path, so importing the feature loads none of them (issue 15).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from flask import url_for
from sqlalchemy.orm import Session

from accord.features import AuditTarget, AuditTargets, Feature, Ref, named_by_column


def _feed_url(target_id: str) -> str:
    """A feed has no page of its own: its line in the dashboard's feed-health panel."""
    return url_for("web.home.dashboard", _anchor=f"feed-{target_id}")


def feed_targets(session: Session, ids: Sequence[uuid.UUID]) -> Mapping[str, AuditTarget]:
    """Each feed by its name, linked to its line in the feed-health panel."""
    from feeds.models import FeedSource

    return named_by_column(FeedSource.id, FeedSource.name, _feed_url)(session, ids)


FEATURE = Feature(
    name="feeds",
    blueprints=(Ref("feeds.api:bp"),),
    pages=(Ref("feeds.web:pages"),),
    commands=(Ref("feeds.cli:feeds_group"),),
    dashboard_panels=(Ref("feeds.web:PANEL"),),
    audit_targets=(AuditTargets("feed", feed_targets),),
)
