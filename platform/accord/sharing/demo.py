"""Demo intelligence: indicators the three demo CERTs have shared, at every TLP level.

Stored through :func:`accord.sharing.ingest.add_objects` like any share, so the demo shows the
TLP rules at work: each demo user sees a different slice of the same collections.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.sharing.ingest import Author, add_objects
from accord.sharing.values import indicator, pattern_for
from accord.tlp import Tlp

DEMO_NAMESPACE = uuid.UUID("6f0c1d2e-3a4b-5c6d-8e9f-0a1b2c3d4e5f")

# collection alias, sharing team, value, TLP, label
DEMO_INDICATORS: tuple[tuple[str, str, str, Tlp, str], ...] = (
    ("partner-indicators", "Lotus CERT", "198.51.100.23", Tlp.GREEN, "c2"),
    ("partner-indicators", "Lotus CERT", "harbour-invoice.example", Tlp.GREEN, "phishing"),
    ("partner-indicators", "Lotus CERT", "https://harbour-invoice.example/pay", Tlp.AMBER,
     "phishing"),
    ("partner-indicators", "Lotus CERT", "203.0.113.0/28", Tlp.AMBER_STRICT, "scanning"),
    ("partner-indicators", "Baltic CERT", "192.0.2.77", Tlp.CLEAR, "scanning"),
    ("partner-indicators", "Baltic CERT", "loader-update.example", Tlp.AMBER, "malware"),
    ("partner-indicators", "Baltic CERT",
     "44d88612fea8a8f36de82e1278abb02f", Tlp.GREEN, "malware"),
    ("partner-indicators", "Andes CERT", "2001:db8::dead:beef", Tlp.GREEN, "c2"),
    ("partner-indicators", "Andes CERT",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Tlp.AMBER, "malware"),
    ("lotus-ir", "Lotus CERT", "10.13.37.5", Tlp.RED, "incident"),
    ("lotus-ir", "Lotus CERT", "ministry-vpn-login.example", Tlp.AMBER, "incident"),
)


def seed_demo_indicators(session: Session) -> None:
    """Share the demo indicators, each as its own team (deterministic ids: re-runs are no-ops)."""
    now = utcnow()
    for number, (alias, team_name, raw, tlp, label) in enumerate(DEMO_INDICATORS):
        collection = session.scalar(select(Collection).where(Collection.alias == alias))
        team = session.scalar(select(Team).where(Team.name == team_name))
        if collection is None or team is None:
            continue
        value, pattern = pattern_for(raw)
        moment = now - timedelta(hours=len(DEMO_INDICATORS) - number)
        obj = indicator(stix_id=f"indicator--{uuid.uuid5(DEMO_NAMESPACE, alias + value)}",
                        value=value, pattern=pattern, created=moment, modified=moment,
                        valid_from=moment, tlp=tlp, labels=[label],
                        author_identity=team.identity_id)
        add_objects(session, collection, [obj], Author(team_id=team.id))
