"""A small world for agreement tests: a providing team, a partner, an outsider, one agreement
with a collection under it, the partner's grant and one shared indicator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.models.agreements import Agreement
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.services import agreements, collections
from accord.sharing.ingest import Author, add_objects
from accord.tlp import Tlp
from tests.factories import make_team, make_token, make_user
from tests.taxii.conftest import indicator

POLICY = {"permitted_actions": "internally-visible-actions", "attribution": "must-not",
          "tlp": "amber"}


@dataclass
class World:
    owner: Team
    partner: Team
    outsider: Team
    agreement: Agreement
    collection: Collection
    owner_user: User
    partner_user: User
    admin: User
    tokens: dict[str, str]
    stix_id: str


def build(session: Session, *, lasts: timedelta = timedelta(days=30)) -> World:
    """The agreement started an hour ago and ends after ``lasts`` from now."""
    owner = make_team(session, "CERT-VN")
    partner = make_team(session, "CERT-EE")
    outsider = make_team(session, "CERT-CL")
    now = utcnow()
    agreement = agreements.create_agreement(
        session, "Phishing response", owner.name, "Incident response to phishing only",
        [partner.name], legal_basis="MoU on CSIRT cooperation, art. 4", default_policy=POLICY,
        retention_days=90, starts_at=now - timedelta(hours=1), ends_at=now + lasts)
    collection = collections.create_collection(session, "Phishing", owner.name,
                                               alias="phishing", agreement=agreement.title)
    collections.grant(session, str(collection.id), partner.name, True, False, Tlp.AMBER)
    obj = indicator("198.51.100.9", Tlp.GREEN)
    add_objects(session, collection, [obj], Author(team_id=owner.id))
    session.commit()
    owner_user = make_user(session, owner, Role.ANALYST, "lan")
    partner_user = make_user(session, partner, Role.ANALYST, "kristjan")
    admin = make_user(session, owner, Role.ADMIN, "boss")
    tokens = {user.username: make_token(session, user, ("read", "write"))[1]
              for user in (owner_user, partner_user)}
    tokens["boss"] = make_token(session, admin, ("read", "write", "admin"))[1]
    return World(owner, partner, outsider, agreement, collection, owner_user, partner_user,
                 admin, tokens, str(obj["id"]))


HELD_BACK_REASON = "permitted_actions: internally-visible-actions does not allow blocking"


def record_outcomes(session: Session, world: World) -> None:
    """Audit rows other parts of the hub write: an export that held the indicator back (the
    outbound helper's ``held_back`` details) and its expiry (the retention job's
    ``object.expired``), plus an expiry in a collection outside the agreement."""
    audit.record(session, "cli.export", actor=world.partner_user, target_type="collection",
                 target_id=world.collection.id,
                 details={"format": "blocklist", "objects": 1,
                          "held_back": [{"id": world.stix_id, "reason": HELD_BACK_REASON}]})
    audit.record(session, "object.expired", target_type="stix_object", target_id=world.stix_id,
                 details={"stix_ids": [world.stix_id], "collection": str(world.collection.id),
                          "reason": "retention"})
    audit.record(session, "object.expired", target_type="stix_object", target_id="x",
                 details={"stix_id": "indicator--elsewhere", "collection": "another",
                          "reason": "retention"})
    session.commit()
