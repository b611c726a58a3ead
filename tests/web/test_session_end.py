"""Sessions end on a password change or a deactivation (issue 12): every web session of the
user is refused afterwards, on every worker, since the session carries the user's credentials
version from sign-in and each request compares it with the user row."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.models.users import Role
from accord.services import users
from tests.factories import make_team, make_user
from tests.web.helpers import csrf_from, sign_in


def signed_in(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    assert sign_in(browser, username).status_code == 302
    assert browser.get("/").status_code == 200
    return browser


@pytest.mark.parametrize("change", ["password", "deactivation"])
def test_a_credential_change_ends_every_session(app: Flask, session: Session,
                                                change: str) -> None:
    make_user(session, username="lan")
    laptop, phone = signed_in(app, "lan"), signed_in(app, "lan")
    if change == "password":
        users.set_password(session, "lan", "a-brand-new-password")  # accord user set-password
    else:
        users.deactivate_user(session, "lan")
    session.commit()
    for browser in (laptop, phone):
        response = browser.get("/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    if change == "password":
        assert sign_in(app.test_client(), "lan").status_code == 401  # the old password
        assert sign_in(app.test_client(), "lan", "a-brand-new-password").status_code == 302


def test_an_admin_deactivating_a_user_ends_that_users_sessions_only(app: Flask,
                                                                    session: Session) -> None:
    team = make_team(session, "Lotus CERT")
    make_user(session, team, Role.ADMIN, username="root")
    make_user(session, team, username="lan")
    admin, victim = signed_in(app, "root"), signed_in(app, "lan")
    token = csrf_from(admin.get("/admin/users"))
    done = admin.post("/admin/users/lan/deactivate", data={"csrf_token": token})
    assert done.status_code == 303
    assert victim.get("/").status_code == 302
    assert admin.get("/").status_code == 200


def test_other_users_sessions_are_untouched(app: Flask, session: Session) -> None:
    team = make_team(session, "Lotus CERT")
    make_user(session, team, username="lan")
    make_user(session, team, username="kris")
    other = signed_in(app, "kris")
    users.set_password(session, "lan", "a-brand-new-password")
    session.commit()
    assert other.get("/").status_code == 200
