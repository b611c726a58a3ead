"""Advisory fixtures: a notification centre, constituent teams in two groups, an SMTP sink."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.models.teams import Team
from accord.models.users import Role, User
from accord.services import teams as team_service
from advisories.contacts import set_reach
from tests.factories import make_team, make_token, make_user
from tests.taxii.wire import bearer


class Sink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives; ``during``, if set,
    is called while each message is received and ``observed`` keeps its results."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.during: Callable[[], Any] | None = None
        self.observed: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.during is not None:
            self.observed.append(self.during())
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(app: Flask) -> Iterator[Sink]:
    sink = Sink()
    with socket.socket() as probe:  # aiosmtpd needs a known port to check it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(ADVISORIES_SMTP_HOST="127.0.0.1", ADVISORIES_SMTP_PORT=controller.port,
                      ADVISORIES_MAIL_FROM="centre@cert.example")
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Centre:
    """A national CERT and its constituents: 3 ministries, 2 provinces."""

    client: FlaskClient
    centre: Team
    coordinator: User
    teams: dict[str, Team] = field(default_factory=dict)
    analysts: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    coordinator_token: str = ""

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        token = self.coordinator_token if who == "coordinator" else self.tokens[who]
        return self.client.open(f"/api/v1/advisories{path}", method=method,
                                headers={"Authorization": bearer(token)}, **kwargs)


MINISTRIES = ("Ministry of Finance", "Ministry of Health", "Ministry of Energy")
PROVINCES = ("Province North", "Province South")


@pytest.fixture
def centre(client: FlaskClient, session: Session) -> Centre:
    hub = make_team(session, "National CERT", "VN")
    coordinator = make_user(session, hub, Role.COORDINATOR, username="centre")
    set_reach(session, hub.id, email="duty@national-cert.example")
    _, secret = make_token(session, coordinator)
    found = Centre(client, hub, coordinator, coordinator_token=secret)
    team_service.create_trust_group(session, "Ministries", "")
    team_service.create_trust_group(session, "Provinces", "")
    for index, name in enumerate((*MINISTRIES, *PROVINCES)):
        team = make_team(session, name, "VN")
        team_service.add_team_to_group(session, "Ministries" if name in MINISTRIES
                                       else "Provinces", name)
        set_reach(session, team.id, email=f"soc{index}@gov.example",
                  escalation_email=f"ciso{index}@gov.example")
        analyst = make_user(session, team, Role.ANALYST, username=f"analyst{index}")
        found.teams[name], found.analysts[name] = team, analyst
        found.tokens[name] = make_token(session, analyst)[1]
    session.commit()
    return found
