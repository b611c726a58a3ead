"""Fixtures for feed tests: a home team and a partner, a live collection, remotes on 127.0.0.1."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import Role
from accord.tlp import Tlp, marking_ref
from feeds import sources
from feeds.models import FeedSource
from tests.factories import make_collection, make_team, make_token, make_user
from tests.feeds.fakeremote import COLLECTION_ID, FakeRemote, ListServer

_serial = itertools.count(1)
BASE_TIME = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Home:
    """Our team, the partner we sync with, our live collection and an admin token."""

    team: Team
    partner: Team
    collection: Collection
    admin_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


@pytest.fixture
def home(session: Session) -> Home:
    team = make_team(session, "Home CERT", "VN")
    partner = make_team(session, "Partner CERT", "EE")
    collection = make_collection(session, team, "Home live")
    admin = make_user(session, team, Role.ADMIN, username="feedadmin")
    _, token = make_token(session, admin, ("read", "write", "admin"))
    return Home(team, partner, collection, token)


@pytest.fixture
def fake_remote() -> Iterator[FakeRemote]:
    remote = FakeRemote().start()
    yield remote
    remote.stop()


@pytest.fixture
def list_server() -> Iterator[ListServer]:
    server = ListServer()
    yield server
    server.stop()


def indicator(tlp: Tlp | None = Tlp.GREEN, **extra: Any) -> dict[str, Any]:
    """A valid STIX 2.1 indicator with a unique value."""
    n = next(_serial)
    moment = (BASE_TIME + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": moment, "modified": moment, "name": f"bad host {n}",
        "pattern": f"[ipv4-addr:value = '198.51.{n // 250 % 250}.{n % 250}']",
        "pattern_type": "stix", "valid_from": moment,
    }
    if tlp is not None:
        obj["object_marking_refs"] = [marking_ref(tlp)]
    obj.update(extra)
    return obj


def indicators(count: int, tlp: Tlp | None = Tlp.GREEN) -> list[dict[str, Any]]:
    return [indicator(tlp) for _ in range(count)]


def pull_feed(session: Session, app: Flask, home: Home, remote: FakeRemote,
              **overrides: Any) -> FeedSource:
    """A taxii21-pull feed from the fake remote into the home collection."""
    settings = {"url": f"{remote.url}/taxii2/", "collection": COLLECTION_ID, "page_size": 50,
                "timeout": 2, **overrides.pop("settings", {})}
    options: dict[str, Any] = {"auth": "basic", "username": remote.user,
                               "secret": remote.password, **overrides}
    feed = sources.create_feed(session, app, name=options.pop("name", f"pull-{next(_serial)}"),
                               kind="taxii21-pull", collection=str(home.collection.id),
                               partner_team=home.partner.name, settings=settings, **options)
    session.commit()
    return feed


def stored_count(session: Session, collection: Collection) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(StixObject)
                              .where(StixObject.collection_id == collection.id)) or 0)


def stored_ids(session: Session, collection: Collection) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(StixObject.stix_id)
                                .where(StixObject.collection_id == collection.id)))
