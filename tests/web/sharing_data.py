"""Teams, grants and objects for the collection and share page tests (issue 6).

CERT-VN owns the collection; CERT-EE reads and writes up to AMBER; CERT-JP reads up to GREEN;
CERT-FR has no grant; CERT-KR may only write. VN's objects are stored through
``accord.sharing.ingest`` like any TAXII write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.sharing.ingest import Author, add_objects
from accord.tlp import Tlp
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.taxii.conftest import indicator

GREEN_IP = "198.51.100.7"
AMBER_IP = "203.0.113.9"
STRICT_IP = "192.0.2.44"


@dataclass
class World:
    """The teams, one user each, the shared collection and the stored indicators."""

    owner: Team
    partner: Team
    low: Team
    outsider: Team
    writer: Team
    users: dict[str, User]
    collection: Collection
    objects: dict[str, dict[str, Any]]


def store(session: Session, collection: Collection, user: User, *objects: dict[str, Any]
          ) -> None:
    """Store objects as ``user`` through the TAXII write path, and commit."""
    result = add_objects(session, collection, list(objects),
                         Author(team_id=user.team_id, user_id=user.id))
    assert not result.failures, result.failures
    session.commit()


def build(session: Session, *, with_objects: bool = True) -> World:
    """The five teams, their users (lan, kristjan, kenji, pierre, minji) and VN's collection."""
    owner = make_team(session, "CERT-VN", "VN")
    partner = make_team(session, "CERT-EE", "EE")
    low = make_team(session, "CERT-JP", "JP")
    outsider = make_team(session, "CERT-FR", "FR")
    writer = make_team(session, "CERT-KR", "KR")
    users = {name: make_user(session, team, Role.ANALYST, username=name) for name, team in
             (("lan", owner), ("kristjan", partner), ("kenji", low), ("pierre", outsider),
              ("minji", writer))}
    collection = make_collection(session, owner, "ASEAN indicators",
                                 description="Indicators shared among partner national CERTs")
    make_grant(session, collection, partner, write=True, max_tlp=Tlp.AMBER)
    make_grant(session, collection, low, max_tlp=Tlp.GREEN)
    make_grant(session, collection, writer, read=False, write=True, max_tlp=Tlp.GREEN)
    objects = {"green": indicator(GREEN_IP, Tlp.GREEN), "amber": indicator(AMBER_IP, Tlp.AMBER),
               "strict": indicator(STRICT_IP, Tlp.AMBER_STRICT)}
    if with_objects:
        store(session, collection, users["lan"], *objects.values())
    return World(owner, partner, low, outsider, writer, users, collection, objects)
