"""No secret in the audit log (issue 12): a token sent as the Basic username or a password typed
into the username field is recorded only as a keyed fingerprint, in the database and on
/admin/audit/; a known username is recorded by its account."""

from __future__ import annotations

import base64

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.users import Role
from tests.accord.test_auth import basic
from tests.factories import PASSWORD, make_team, make_token, make_user
from tests.web.helpers import csrf_from, sign_in

TYPED_PASSWORD = "Hunter2-my-real-passw0rd"


def every_value(session: Session) -> str:
    """Every stored field of every audit row, as one text to search for secrets."""
    session.expire_all()
    rows = session.scalars(select(AuditEvent)).all()
    return repr([(e.action, e.actor_name, e.team_name, e.target_type, e.target_id,
                  e.source_address, e.details) for e in rows])


def failures(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["auth.failed", "auth.throttled"])).order_by(AuditEvent.id)))


def test_a_token_sent_as_the_username_is_not_stored(client: FlaskClient,
                                                    session: Session) -> None:
    user = make_user(session, username="lan")
    _, token = make_token(session, user)
    raw = base64.b64encode(f"{token}:".encode()).decode()  # curl -u "$TOKEN:"
    assert client.get("/api/v1/me", headers={"Authorization": f"Basic {raw}"}
                      ).status_code == 401
    assert client.get("/api/v1/me", headers=basic(token, token)).status_code == 401
    rows = failures(session)
    assert len(rows) == 2
    assert token not in every_value(session)
    marks = {row.details["fingerprint"] for row in rows}
    assert len(marks) == 1  # the same value twice: one fingerprint, so attempts correlate
    assert {row.actor_name for row in rows} == {f"unknown:{marks.pop()}"}
    assert all(row.actor_id is None for row in rows)


def test_a_password_typed_as_the_username_is_not_stored(client: FlaskClient,
                                                        session: Session) -> None:
    make_user(session, username="lan")
    sign_in(client, TYPED_PASSWORD, TYPED_PASSWORD)
    client.get("/api/v1/me", headers=basic(TYPED_PASSWORD, PASSWORD))
    rows = failures(session)
    assert len(rows) == 2 and all((row.actor_name or "").startswith("unknown:") for row in rows)
    assert TYPED_PASSWORD not in every_value(session)


def test_a_known_username_is_recorded_by_its_account(client: FlaskClient,
                                                     session: Session) -> None:
    user = make_user(session, username="lan")
    client.get("/api/v1/me", headers=basic("lan", "wrong-password"))
    (row,) = failures(session)
    assert (row.actor_id, row.actor_name, row.team_id) == (user.id, "lan", user.team_id)
    assert "fingerprint" not in row.details


def test_throttled_attempts_are_fingerprinted_too(app: Flask, client: FlaskClient,
                                                  session: Session) -> None:
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 1
    make_user(session, username="lan")
    client.get("/api/v1/me", headers=basic(TYPED_PASSWORD, "x"))
    assert client.get("/api/v1/me", headers=basic(TYPED_PASSWORD, "x")).status_code == 429
    actions = [row.action for row in failures(session)]
    assert actions == ["auth.failed", "auth.throttled"]
    assert TYPED_PASSWORD not in every_value(session)


def test_the_audit_page_shows_fingerprints_not_secrets(client: FlaskClient,
                                                       session: Session) -> None:
    team = make_team(session, "Lotus CERT")
    admin = make_user(session, team, Role.ADMIN, username="root")
    _, token = make_token(session, admin)
    client.get("/api/v1/me", headers=basic(token, ""))
    client.get("/api/v1/me", headers=basic(TYPED_PASSWORD, "x"))
    assert sign_in(client, "root").status_code == 302
    page = client.get("/admin/audit/?action=auth.failed")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count("unknown:") == 2
    assert token not in text and TYPED_PASSWORD not in text
    assert csrf_from(page)  # a normal admin page
