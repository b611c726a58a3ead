"""Audit rows for logins, token use and every change to teams, users, tokens, collections and
grants: who, which team, what, on which target, from where (ARCHITECTURE rule 6, issue 2).

Changes are made over real HTTP through the admin pages (a signed-in admin) and through the
CLI (the local operator), and the rows are read back from the database.
"""

from __future__ import annotations

import re

import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cli.output import operator
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.users import ApiToken, Role, User
from tests.accord.test_auth import basic, bearer
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_team, make_token, make_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOCAL = "127.0.0.1"


def events(session: Session, action: str, actor: str | None = None) -> list[AuditEvent]:
    """Rows of ``action`` (by ``actor`` if given; factories' own rows have no actor)."""
    session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if actor is not None:
        query = query.where(AuditEvent.actor_name == actor)
    return list(session.scalars(query))


def only(session: Session, action: str, actor: str | None = None) -> AuditEvent:
    found = events(session, action, actor)
    assert len(found) == 1, (action, [(e.actor_name, e.details) for e in found])
    return found[0]


class Browser:
    """A signed-in web session over real HTTP that posts forms with their CSRF token."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.base = server.url
        self.http = requests.Session()
        response = self.post("/login", form_page="/login", username=username,
                             password=PASSWORD)
        assert response.url.rstrip("/") == self.base, response.text

    def post(self, path: str, form_page: str = "/tokens/", **data: str) -> requests.Response:
        """POST ``data`` with the CSRF token read from ``form_page``."""
        match = CSRF.search(self.http.get(f"{self.base}{form_page}", timeout=30).text)
        assert match, f"no CSRF token on {form_page}"
        response = self.http.post(f"{self.base}{path}",
                                  data={**data, "csrf_token": match.group(1)}, timeout=30)
        assert response.status_code < 400, (path, response.status_code, response.text[:300])
        return response


def assert_by_admin(event: AuditEvent, target_type: str, target_id: object) -> None:
    assert (event.actor_name, event.team_name) == ("root", "CERT-HQ")
    assert event.actor_id is not None and event.team_id is not None
    assert (event.target_type, event.target_id) == (target_type, str(target_id))
    assert event.source_address == LOCAL and event.outcome == "success"


def test_admin_changes_over_http_are_audited(live_server: LiveServer, session: Session) -> None:
    make_user(session, make_team(session, "CERT-HQ"), username="root", role=Role.ADMIN)
    browser = Browser(live_server, "root")
    web_login = only(session, "auth.login")
    assert (web_login.actor_name, web_login.details, web_login.source_address) == \
        ("root", {"method": "web"}, LOCAL)

    browser.post("/admin/teams", name="CERT-VN", country_code="VN", timezone="UTC")
    browser.post("/admin/trust-groups", name="ASEAN", description="")
    browser.post("/admin/trust-groups/members", group="ASEAN", team="CERT-VN")
    browser.post("/admin/users", username="lan", team="CERT-VN", role="analyst",
                 password="long-enough-pw")
    browser.post("/admin/users/lan/deactivate")
    browser.post("/admin/collections", title="Shared IOCs", owner="CERT-HQ", kind="sharing",
                 default_tlp="green")
    collection = session.scalar(select(Collection).where(Collection.title == "Shared IOCs"))
    assert collection is not None
    grants = f"/admin/collections/{collection.id}/grants"
    browser.post(grants, team="CERT-VN", can_read="on", max_tlp="green")
    browser.post(f"{grants}/revoke", team="CERT-VN")
    browser.post("/tokens/", name="misp", scope_read="on")
    token = session.scalar(select(ApiToken).where(ApiToken.name == "misp"))
    assert token is not None
    browser.post(f"/tokens/{token.id}/revoke")

    lan = session.scalar(select(User).where(User.username == "lan"))
    assert lan is not None
    team_event = only(session, "team.create", "root")
    assert_by_admin(team_event, "team", lan.team_id)
    assert team_event.details == {"name": "CERT-VN", "country_code": "VN"}
    group_event = only(session, "trust_group.create", "root")
    member_event = only(session, "trust_group.add_team", "root")
    assert_by_admin(member_event, "trust_group", group_event.target_id)
    assert member_event.details == {"team": "CERT-VN"}
    user_event = only(session, "user.create", "root")
    assert_by_admin(user_event, "user", lan.id)
    assert user_event.details == {"username": "lan", "team": "CERT-VN", "role": "analyst"}
    assert_by_admin(only(session, "user.deactivate", "root"), "user", lan.id)
    assert_by_admin(only(session, "collection.create", "root"), "collection", collection.id)
    grant_event = only(session, "collection.grant", "root")
    assert_by_admin(grant_event, "collection", collection.id)
    assert grant_event.details == {"team": "CERT-VN", "can_read": True, "can_write": False,
                                   "max_tlp": "green"}
    assert_by_admin(only(session, "collection.revoke", "root"), "collection", collection.id)
    assert_by_admin(only(session, "token.create", "root"), "api_token", token.id)
    assert_by_admin(only(session, "token.revoke", "root"), "api_token", token.id)
    dumped = repr([(e.details, e.target_id) for e in session.scalars(select(AuditEvent))])
    assert "long-enough-pw" not in dumped and PASSWORD not in dumped


def test_api_login_and_token_use_are_audited(app: Flask, live_server: LiveServer,
                                             session: Session) -> None:
    user = make_user(session, make_team(session, "CERT-VN"), username="lan")
    token, secret = make_token(session, user)
    for headers in (basic("lan", PASSWORD), bearer(secret)):
        response = requests.get(f"{live_server.url}/api/v1/me", headers=headers, timeout=30)
        assert response.status_code == 200
    login = only(session, "auth.login")
    assert (login.actor_name, login.team_name, login.source_address) == ("lan", "CERT-VN", LOCAL)
    assert login.details == {"method": "password"}
    used = only(session, "auth.token.used")
    assert (used.actor_name, used.team_name, used.source_address) == ("lan", "CERT-VN", LOCAL)
    assert (used.target_type, used.target_id) == ("api_token", str(token.id))
    # Use within TOKEN_TOUCH_INTERVAL_SECONDS is not written again (one row per interval).
    requests.get(f"{live_server.url}/api/v1/me", headers=bearer(secret), timeout=30)
    assert len(events(session, "auth.token.used")) == 1
    app.config["TOKEN_TOUCH_INTERVAL_SECONDS"] = 0
    requests.get(f"{live_server.url}/api/v1/me", headers=bearer(secret), timeout=30)
    assert len(events(session, "auth.token.used")) == 2


def test_cli_changes_name_the_local_operator(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    commands = [
        ["team", "create", "CERT-VN", "--country", "VN"],
        ["user", "create", "lan", "--team", "CERT-VN", "--password-stdin"],
        ["token", "create", "lan"],
        ["collection", "create", "Shared IOCs", "--owner", "CERT-VN", "--alias", "iocs"],
        ["collection", "grant", "iocs", "CERT-VN", "--write", "--max-tlp", "clear"],
    ]
    for args in commands:
        result = runner.invoke(args=args, input="long-enough-pw\n")
        assert result.exit_code == 0, result.output
    for action in ("team.create", "user.create", "token.create", "collection.create",
                   "collection.grant"):
        event = only(session, action, operator())
        assert event.actor_name == operator() and event.actor_id is None, action
        assert event.source_address is None and event.target_id, action
    failed = runner.invoke(args=["team", "create", "CERT-VN", "--country", "VN"])
    assert failed.exit_code == 1
    assert len(events(session, "team.create", operator())) == 1  # a refused change leaves no row
