"""What the advisories package plugs into the hub (read by :mod:`accord.assembly`).

Parts are named by import path, so importing the feature loads none of them (issue 15).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from flask import Flask, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.features import AuditTarget, AuditTargets, Feature, NavLink, Ref

DELIVERY_SECONDS = 15


def start_on_lead(app: Flask) -> None:
    """A new scheduler leader: open advisories' deadline jobs, and the notice sender."""
    from accord.scheduler.jobs import schedule
    from advisories import deadlines

    deadlines.resync_open(app)
    schedule(app, "advisories:deliver", f"{deadlines.JOBS}:deliver", "interval",
             seconds=DELIVERY_SECONDS)


def advisory_targets(session: Session, ids: Sequence[uuid.UUID]) -> Mapping[str, AuditTarget]:
    """"ADV-2026-0001 Patch the VPN gateways", linked to its page (keyed by the reference),
    for each advisory id the audit log names."""
    from advisories.models import Advisory

    rows = session.execute(select(Advisory.id, Advisory.ref, Advisory.title)
                           .where(Advisory.id.in_(ids)))
    return {str(row_id): AuditTarget(f"{ref} {title}", url_for("web.advisories.show", ref=ref))
            for row_id, ref, title in rows}


FEATURE = Feature(name="advisories", blueprints=(Ref("advisories.api:bp"),),
                  pages=(Ref("advisories.web.pages:bp"),),
                  nav_links=(NavLink("Advisories", "web.advisories.inbox"),),
                  demo_seeders=(Ref("advisories.demo:seed_demo_advisory"),),
                  on_lead=(start_on_lead,),
                  audit_targets=(AuditTargets("advisory", advisory_targets),))
