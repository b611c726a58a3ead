"""Sign-in, sessions, CSRF and security headers of the web interface (issue 6)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.users import Role
from accord.services.users import set_password
from tests.factories import make_token, make_user
from tests.web.helpers import csrf_from, sign_in


def test_sign_in_rotates_session_and_shows_dashboard(app: Flask, session: Session) -> None:
    user = make_user(session, username="alice")
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as before:
        old_csrf = before["csrf_token"]
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as after:
        assert after["uid"] == str(user.id)
        assert "csrf_token" not in after or after["csrf_token"] != old_csrf
    page = client.get("/")
    assert page.status_code == 200
    assert "alice" in page.get_data(as_text=True)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login",
                                                   AuditEvent.actor_name == "alice"))


def test_cookie_flags(app: Flask, session: Session) -> None:
    make_user(session, username="alice")
    response = sign_in(app.test_client(), "alice")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_wrong_password_is_401_audited_and_rate_limited(app: Flask, session: Session) -> None:
    make_user(session, username="alice")
    app.config["LOGIN_FAILURES_PER_USER"] = 3
    client = app.test_client()
    for _ in range(3):
        response = sign_in(client, "alice", "wrong-password!")
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
    blocked = sign_in(client, "alice")
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.get_data(as_text=True)
    failures = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.failed")).all()
    assert len(failures) == 3
    with client.session_transaction() as state:
        assert "uid" not in state


def test_impossible_usernames_are_a_plain_wrong_password(app: Flask, session: Session) -> None:
    """Names no account can have (over 80 characters, NUL) never reach the database: a NUL is
    refused for every form field before any view runs (accord.requestguard)."""
    client = app.test_client()
    response = sign_in(client, "x" * 81, "whatever-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    response = sign_in(client, "ali\x00ce", "whatever-password")
    assert response.status_code == 400
    assert "username: contains a NUL character" in response.get_data(as_text=True)


def test_service_account_cannot_use_the_form(app: Flask, session: Session) -> None:
    user = make_user(session, role=Role.SERVICE, username="robot")
    set_password(session, user.username, "robot-password-1")
    session.commit()
    assert sign_in(app.test_client(), "robot", "robot-password-1").status_code == 401


def test_anonymous_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/tokens/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/tokens/")


def test_open_redirect_refused(app: Flask, session: Session) -> None:
    make_user(session, username="alice")
    client = app.test_client()
    token = csrf_from(client.get("/login"))
    response = client.post("/login", data={"username": "alice", "password": "correct-horse-battery",
                                           "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_post_without_csrf_token_is_400(app: Flask, session: Session) -> None:
    make_user(session, username="alice")
    client = app.test_client()
    assert client.post("/login", data={"username": "alice",
                                       "password": "correct-horse-battery"}).status_code == 400
    sign_in(client, "alice")
    response = client.post("/tokens/", data={"name": "x", "scope_read": "on"})
    assert response.status_code == 400
    response = client.post("/tokens/", data={"name": "x", "scope_read": "on",
                                             "csrf_token": "forged"})
    assert response.status_code == 400
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action == "token.create")).all()


def test_session_of_one_user_does_not_act_for_another(app: Flask, session: Session) -> None:
    alice = make_user(session, username="alice")
    bob = make_user(session, username="bob")
    bob_token, _ = make_token(session, bob)
    client = app.test_client()
    sign_in(client, "alice")
    page = client.get("/tokens/")
    assert "bob" not in page.get_data(as_text=True)
    csrf = csrf_from(page)
    response = client.post(f"/tokens/{bob_token.id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404
    session.refresh(bob_token)
    assert bob_token.revoked_at is None
    client.post("/tokens/", data={"name": "mine", "scope_read": "on", "csrf_token": csrf})
    created = session.scalar(select(AuditEvent).where(AuditEvent.action == "token.create")
                             .order_by(AuditEvent.id.desc()).limit(1))
    assert created is not None and created.actor_name == alice.username


def test_logout_invalidates_a_replayed_cookie(app: Flask, session: Session) -> None:
    make_user(session, username="alice")
    client = app.test_client()
    sign_in(client, "alice")
    cookie = client.get_cookie("session")
    assert cookie is not None
    stolen = cookie.value
    csrf = csrf_from(client.get("/"))
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/tokens/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_deactivated_user_is_signed_out(app: Flask, session: Session) -> None:
    user = make_user(session, username="alice")
    client = app.test_client()
    sign_in(client, "alice")
    user.active = False
    session.commit()
    assert client.get("/").status_code == 302


def test_security_headers_on_pages_and_errors(app: Flask, session: Session) -> None:
    client = app.test_client()
    for path in ("/login", "/no-such-page", "/static/accord.css"):
        response = client.get(path, headers={"Accept": "text/html"})
        response.close()
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_admin_pages_forbidden_for_analysts(app: Flask, session: Session) -> None:
    make_user(session, username="alice", role=Role.ANALYST)
    client = app.test_client()
    sign_in(client, "alice")
    for path in ("/admin/teams", "/admin/users", "/admin/tokens", "/admin/collections",
                 "/admin/audit/"):
        assert client.get(path).status_code == 403, path
    csrf = csrf_from(client.get("/"))
    response = client.post("/admin/teams", data={"name": "Evil", "country_code": "XX",
                                                 "csrf_token": csrf})
    assert response.status_code == 403
