"""Factories for test data, built through the same services the hub uses."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from accord.models.collections import Collection, CollectionGrant
from accord.models.teams import Team
from accord.models.users import ApiToken, Role, User
from accord.services import collections, teams, tokens, users
from accord.tlp import Tlp

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def make_team(session: Session, name: str | None = None, country: str = "VN",
              timezone: str = "UTC") -> Team:
    team = teams.create_team(session, name or f"Team {next(_counter)}", country, timezone=timezone)
    session.commit()
    return team


def make_user(session: Session, team: Team | None = None, role: Role | str = Role.ANALYST,
              username: str | None = None, password: str | None = PASSWORD) -> User:
    team = team or make_team(session)
    role = Role(role)
    if role == Role.SERVICE and password == PASSWORD:
        password = None
    user = users.create_user(session, username or f"user{next(_counter)}", team.name, role,
                             password)
    session.commit()
    return user


def make_token(session: Session, user: User, scopes: tuple[str, ...] = ("read", "write"),
               **kwargs: Any) -> tuple[ApiToken, str]:
    token, secret = tokens.create_token(session, user.username, "test", scopes, **kwargs)
    session.commit()
    return token, secret


def make_collection(session: Session, owner: Team, title: str | None = None, **kwargs: Any
                    ) -> Collection:
    collection = collections.create_collection(session, title or f"Collection {next(_counter)}",
                                               owner.name, **kwargs)
    session.commit()
    return collection


def make_grant(session: Session, collection: Collection, team: Team, *, read: bool = True,
               write: bool = False, max_tlp: Tlp | str = Tlp.AMBER) -> CollectionGrant:
    grant = collections.grant(session, str(collection.id), team.name, read, write, max_tlp)
    session.commit()
    return grant


def json_of(response: TestResponse) -> dict[str, Any]:
    """The JSON object a response carries (Flask types `response.json` as `Any | None`)."""
    body = response.get_json()
    assert isinstance(body, dict), f"expected a JSON object, got {body!r}"
    return body
