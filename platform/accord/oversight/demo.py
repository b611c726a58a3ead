"""Demo sharing agreement: Lotus CERT shares phishing infrastructure with Baltic CERT for
incident response only, for 90 days per object, under a default IEP 2.0 policy (issue 17).

Made through the same services as any agreement (audited), with its collection, a partner grant
and a few indicators shared through the one write path, so the demo's agreement page and
oversight report show real data.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.agreements import Agreement
from accord.models.teams import Team
from accord.services import agreements, collections
from accord.sharing.ingest import Author, add_objects
from accord.sharing.values import indicator, pattern_for
from accord.tlp import Tlp

TITLE = "Phishing response: Lotus and Baltic CERT"
ALIAS = "phishing-response"
NAMESPACE = uuid.UUID("0b7f4f53-7d5c-4a51-9a51-6d1c1f0e2a17")
POLICY = {"permitted_actions": "internally-visible-actions", "encrypt_in_transit": "must",
          "attribution": "must-not", "affected_party_notifications": "may",
          "unmodified_resale": "must-not", "tlp": "amber"}
VALUES = ("invoice-harbour.example", "https://invoice-harbour.example/login", "198.51.100.87")


def seed_demo_agreement(session: Session) -> None:
    """Create the demo agreement, its collection, Baltic CERT's grant and three indicators."""
    lotus = session.scalar(select(Team).where(Team.name == "Lotus CERT"))
    if lotus is None or session.scalar(select(Agreement.id).where(Agreement.title == TITLE)):
        return
    start = utcnow() - timedelta(days=7)
    agreement = agreements.create_agreement(
        session, TITLE, lotus.name,
        "Incident response to phishing campaigns against government mail users: detection and "
        "takedown requests only.", ["Baltic CERT"],
        legal_basis="Memorandum of understanding on CSIRT cooperation (2026), article 4; "
                    "NIS2 Directive article 29 information-sharing arrangements.",
        default_policy=POLICY, retention_days=90, starts_at=start,
        ends_at=start + timedelta(days=365))
    collection = collections.create_collection(
        session, "Phishing response", lotus.name,
        "Phishing infrastructure shared under the phishing-response agreement", alias=ALIAS,
        agreement=str(agreement.id))
    collections.grant(session, str(collection.id), "Baltic CERT", True, False, Tlp.AMBER)
    now = utcnow()
    for number, raw in enumerate(VALUES):
        value, pattern = pattern_for(raw)
        moment = now - timedelta(hours=len(VALUES) - number)
        obj = indicator(stix_id=f"indicator--{uuid.uuid5(NAMESPACE, value)}", value=value,
                        pattern=pattern, created=moment, modified=moment, valid_from=moment,
                        tlp=Tlp.AMBER, labels=["phishing"], author_identity=lotus.identity_id)
        add_objects(session, collection, [obj], Author(team_id=lotus.id))
