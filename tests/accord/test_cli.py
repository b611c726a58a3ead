"""The administrative CLI: teams, trust groups, users, tokens, collections and their errors.

Most commands run in-process through Flask's CLI runner on the test database; one test runs
the installed ``accord`` script as a real process on an empty database (issue 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.credentials import verify_password
from accord.db import utcnow
from accord.models.users import User
from tests.accord.helpers import accord_env, migration_head, one_error_line, run
from tests.accord.test_auth import basic, bearer
from tests.factories import PASSWORD, make_collection, make_team, make_token, make_user

Invoke = Callable[..., Result]


@pytest.fixture
def accord(app: Flask) -> Invoke:
    """Run ``accord ARGS...`` in-process against the test app."""
    runner = app.test_cli_runner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(args=list(args), input=stdin)

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def fails(result: Result, message: str) -> str:
    """Assert a clean failure: exit status 1 and one ``Error:`` line naming ``message``."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    line = one_error_line(result.stderr)
    assert message in line, line
    return line


def test_team_and_trust_group_commands(accord: Invoke) -> None:
    created = as_json(accord("team", "create", "CERT-VN", "--country", "vn",
                             "--timezone", "Asia/Ho_Chi_Minh", "--contact", "cert@example.vn",
                             "--json"))
    assert created["name"] == "CERT-VN" and created["country_code"] == "VN"
    assert created["identity_id"].startswith("identity--") and created["id"]
    text = ok(accord("team", "create", "CERT-FR", "--country", "FR")).stdout
    assert text.startswith("Created team CERT-FR (")
    listed = as_json(accord("team", "list", "--json"))
    assert [t["name"] for t in listed] == ["CERT-FR", "CERT-VN"]
    assert listed[1] == created
    table = ok(accord("team", "list")).stdout.splitlines()
    assert table[0].split() == ["NAME", "CC", "TIMEZONE", "ID"]
    assert table[2].split()[:3] == ["CERT-VN", "VN", "Asia/Ho_Chi_Minh"]

    group = as_json(accord("trust-group", "create", "ASEAN", "--description", "SEA", "--json"))
    assert group["name"] == "ASEAN" and group["id"]
    added = as_json(accord("trust-group", "add-team", "ASEAN", "CERT-VN", "--json"))
    assert added == {"id": group["id"], "name": "ASEAN", "teams": ["CERT-VN"]}
    ok(accord("trust-group", "add-team", "ASEAN", listed[0]["id"]))  # a team by its id
    groups = as_json(accord("trust-group", "list", "--json"))
    assert [(g["name"], sorted(g["teams"])) for g in groups] == [("ASEAN", ["CERT-FR", "CERT-VN"])]
    row = ok(accord("trust-group", "list")).stdout.splitlines()[1]
    assert row.startswith("ASEAN") and "CERT-FR" in row and "CERT-VN" in row


@pytest.mark.parametrize(("args", "message"), [
    (("team", "create", "CERT-VN", "--country", "VN"), "a team named 'CERT-VN' already exists"),
    (("team", "create", "Other", "--country", "France"), "not a two-letter ISO 3166-1 code"),
    (("team", "create", "Other", "--country", "V1"), "country_code"),
    (("team", "create", "Other", "--country", "FR", "--timezone", "Mars/Base"),
     "unknown time zone"),
    (("team", "create", "   ", "--country", "FR"), "a team needs a name"),
    (("team", "create", "x" * 121, "--country", "FR"), "name: at most 120 characters"),
    (("team", "create", "Other", "--country", "FR", "--contact", "c" * 301),
     "contact: at most 300 characters"),
    (("trust-group", "create", "ASEAN"), "a trust group named 'ASEAN' already exists"),
    (("trust-group", "add-team", "Nowhere", "CERT-VN"), "unknown trust group 'Nowhere'"),
    (("trust-group", "add-team", "ASEAN", "CERT-XX"), "unknown team 'CERT-XX'"),
    (("trust-group", "add-team", "ASEAN", "CERT-VN"), "already in trust group"),
])
def test_team_errors_are_one_clear_line(accord: Invoke, args: tuple[str, ...],
                                        message: str) -> None:
    ok(accord("team", "create", "CERT-VN", "--country", "VN"))
    ok(accord("trust-group", "create", "ASEAN"))
    ok(accord("trust-group", "add-team", "ASEAN", "CERT-VN"))
    fails(accord(*args), message)


def test_user_create_with_password_on_stdin_and_by_prompt(
        accord: Invoke, client: FlaskClient, session: Session) -> None:
    make_team(session, "CERT-VN")
    created = as_json(accord("user", "create", "lan", "--team", "CERT-VN", "--role", "admin",
                             "--password-stdin", "--json", stdin="stdin-password-1\n"))
    assert created == {"id": created["id"], "username": "lan", "team": "CERT-VN",
                       "role": "admin", "active": True}
    prompted = ok(accord("user", "create", "minh", "--team", "CERT-VN",
                         stdin="prompt-password-2\nprompt-password-2\n"))
    assert "Password:" in prompted.output and "Repeat for confirmation:" in prompted.output
    assert "prompt-password-2" not in prompted.output
    assert prompted.stdout.splitlines()[-1].startswith("Created analyst minh in CERT-VN (")
    ok(accord("user", "create", "sync-bot", "--team", "CERT-VN", "--role", "service",
              "--no-password"))
    for username, password in (("lan", "stdin-password-1"), ("minh", "prompt-password-2")):
        response = client.get("/api/v1/me", headers=basic(username, password))
        assert response.status_code == 200, response.json
    users = {u["username"]: u for u in as_json(accord("user", "list", "--json"))}
    assert sorted(users) == ["lan", "minh", "sync-bot"]
    assert users["sync-bot"]["role"] == "service"
    bot = session.scalar(select(User).where(User.username == "sync-bot"))
    assert bot is not None and bot.password_hash is None
    table = ok(accord("user", "list", "--team", "CERT-VN")).stdout.splitlines()
    assert table[0].split() == ["USERNAME", "TEAM", "ROLE", "ACTIVE"]
    assert table[1].split() == ["lan", "CERT-VN", "admin", "yes"]


def test_user_deactivate_and_set_password(accord: Invoke, client: FlaskClient,
                                          session: Session) -> None:
    user = make_user(session, username="lan")
    _, secret = make_token(session, user)
    deactivated = as_json(accord("user", "deactivate", "lan", "--json"))
    assert deactivated["active"] is False
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.get("/api/v1/me", headers=basic("lan", PASSWORD)).status_code == 401
    assert "no" in ok(accord("user", "list")).stdout.splitlines()[1].split()
    make_user(session, username="kris")
    ok(accord("user", "set-password", "kris", "--password-stdin", stdin="a-new-password\n"))
    session.expire_all()
    kris = session.scalar(select(User).where(User.username == "kris"))
    assert kris is not None and verify_password(kris.password_hash, "a-new-password")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("user", "create", "x", "--team", "CERT-VN", "--password-stdin"), "long-password\n",
     "username: 'x' must be 2-80"),
    (("user", "create", "new", "--team", "CERT-XX", "--password-stdin"), "long-password\n",
     "unknown team 'CERT-XX'"),
    (("user", "create", "lan", "--team", "CERT-VN", "--password-stdin"), "long-password\n",
     "a user named 'lan' already exists"),
    (("user", "create", "new", "--team", "CERT-VN", "--password-stdin"), "short\n",
     "password: use at least 10 characters"),
    (("user", "create", "new", "--team", "CERT-VN", "--password-stdin"), "", "no password"),
    (("user", "create", "new", "--team", "CERT-VN", "--no-password"), None,
     "only service accounts may omit it"),
    (("user", "create", "new", "--team", "CERT-VN", "--role", "service", "--no-password",
      "--password-stdin"), "long-password\n", "either --password-stdin or --no-password"),
    (("user", "create", "new", "--team", "CERT-VN", "--no-password", "--display-name",
      "d" * 121), None, "display_name: at most 120 characters"),
    (("user", "deactivate", "ghost"), None, "unknown user 'ghost'"),
    (("user", "deactivate", "gone"), None, "user 'gone' is already inactive"),
    (("user", "set-password", "lan", "--password-stdin"), "short\n", "at least 10 characters"),
    (("user", "list", "--team", "CERT-XX"), None, "unknown team 'CERT-XX'"),
])
def test_user_errors_are_one_clear_line(accord: Invoke, session: Session, args: tuple[str, ...],
                                        stdin: str | None, message: str) -> None:
    team = make_team(session, "CERT-VN")
    make_user(session, team, username="lan")
    ok(accord("user", "create", "gone", "--team", "CERT-VN", "--password-stdin",
              stdin="long-password\n"))
    ok(accord("user", "deactivate", "gone"))
    fails(accord(*args, stdin=stdin), message)


def test_token_is_printed_once_and_never_listed(accord: Invoke, client: FlaskClient,
                                               session: Session) -> None:
    make_user(session, username="lan")
    text = ok(accord("token", "create", "lan", "--name", "misp", "--scope", "read,write"))
    lines = text.stdout.splitlines()
    assert lines[0] == "Token for lan (read, write), shown only once:"
    secret = lines[1]
    assert secret.startswith("acd_") and text.stdout.count(secret) == 1
    created = as_json(accord("token", "create", "lan", "--scope", "read", "--expires-days", "30",
                             "--allow-network", "127.0.0.1", "--json"))
    assert created["token"].startswith(created["prefix"]) and created["id"]
    assert created["scopes"] == ["read"] and created["allowed_networks"] == ["127.0.0.1/32"]
    assert created["expires_at"] is not None
    for token in (secret, created["token"]):
        response = client.get("/api/v1/me", headers=bearer(token))
        assert response.status_code == 200, response.json
    listed = accord("token", "list", "--json")
    rows = as_json(listed)
    assert {r["name"] for r in rows} == {"misp", "cli"}
    assert all("token" not in r for r in rows)
    table = ok(accord("token", "list", "--user", "lan"))
    for output in (listed.stdout, table.stdout):
        assert secret not in output and created["token"] not in output
    assert [line.split()[4] for line in table.stdout.splitlines()[1:]] == ["active", "active"]


def test_token_revoke_and_states(accord: Invoke, client: FlaskClient, session: Session) -> None:
    user = make_user(session, username="lan")
    token, secret = make_token(session, user)
    make_token(session, user, expires_at=utcnow() - timedelta(minutes=1))
    revoked = as_json(accord("token", "revoke", token.display_prefix, "--json"))
    assert revoked["id"] == str(token.id) and revoked["revoked_at"]
    assert "token" not in revoked
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    states = sorted(line.split()[4] for line in ok(accord("token", "list")).stdout.splitlines()[1:])
    assert states == ["expired", "revoked"]
    fails(accord("token", "revoke", str(token.id)), "is already revoked")


@pytest.mark.parametrize(("args", "message"), [
    (("token", "create", "ghost"), "unknown user 'ghost'"),
    (("token", "create", "lan", "--scope", "root"), "scopes: 'root' is not one of"),
    (("token", "create", "lan", "--allow-network", "not-a-net"), "allowed_networks"),
    (("token", "create", "lan", "--expires-days", "-1"), "expires: must be in the future"),
    (("token", "create", "lan", "--name", "n" * 121), "name: at most 120 characters"),
    (("token", "create", "gone"), "user 'gone' is inactive"),
    (("token", "revoke", "acd_nothing"), "unknown token 'acd_nothing'"),
    (("token", "revoke", "00000000-0000-0000-0000-000000000000"), "unknown token"),
    (("token", "list", "--user", "ghost"), "unknown user 'ghost'"),
])
def test_token_errors_are_one_clear_line(accord: Invoke, session: Session, args: tuple[str, ...],
                                         message: str) -> None:
    team = make_team(session)
    make_user(session, team, username="lan")
    make_user(session, team, username="gone")
    ok(accord("user", "deactivate", "gone"))
    fails(accord(*args), message)


def test_collection_commands(accord: Invoke, session: Session) -> None:
    make_team(session, "CERT-VN")
    make_team(session, "CERT-FR", "FR")
    created = as_json(accord("collection", "create", "Shared IOCs", "--owner", "CERT-VN",
                             "--alias", "iocs", "--default-tlp", "green", "--json"))
    assert created["title"] == "Shared IOCs" and created["owner"] == "CERT-VN"
    assert created["default_tlp"] == "green" and created["kind"] == "sharing"
    assert created["url"] == f"/taxii2/api/collections/{created['id']}/"
    granted = as_json(accord("collection", "grant", "iocs", "CERT-FR", "--max-tlp", "amber",
                             "--json"))
    assert granted == {"collection_id": created["id"], "team": "CERT-FR", "can_read": True,
                       "can_write": False, "max_tlp": "amber", "agreement_id": None}
    changed = as_json(accord("collection", "grant", created["id"], "CERT-FR", "--write",
                             "--max-tlp", "clear", "--json"))
    assert (changed["can_write"], changed["max_tlp"]) == (True, "clear")
    ok(accord("collection", "create", "Drill", "--owner", "CERT-FR", "--kind", "exercise",
              "--allow-red", "--default-tlp", "red"))
    listed = {c["title"]: c for c in as_json(accord("collection", "list", "--json"))}
    assert sorted(listed) == ["Drill", "Shared IOCs"]
    assert listed["Drill"]["allows_red"] is True and listed["Drill"]["kind"] == "exercise"
    grants = {g["team"]: g for g in listed["Shared IOCs"]["grants"]}
    assert grants["CERT-VN"]["can_write"] and grants["CERT-FR"]["max_tlp"] == "clear"
    revoked = ok(accord("collection", "revoke", "Shared IOCs", "CERT-FR"))
    assert revoked.stdout.strip() == "Revoked CERT-FR on Shared IOCs"
    after = {c["title"]: c for c in as_json(accord("collection", "list", "--json"))}
    assert [g["team"] for g in after["Shared IOCs"]["grants"]] == ["CERT-VN"]
    table = ok(accord("collection", "list")).stdout.splitlines()
    assert table[0].split()[:2] == ["TITLE", "KIND"]


def test_collection_default_tlp_comes_from_the_hub_setting(accord: Invoke, app: Flask,
                                                            session: Session) -> None:
    make_team(session, "CERT-VN")
    app.config["TAXII_DEFAULT_TLP"] = "green"
    created = as_json(accord("collection", "create", "Unmarked feed", "--owner", "CERT-VN",
                             "--json"))
    assert created["default_tlp"] == "green"


@pytest.mark.parametrize(("args", "message"), [
    (("collection", "create", "New", "--owner", "CERT-XX"), "unknown team 'CERT-XX'"),
    (("collection", "create", "New", "--owner", "CERT-VN", "--alias", "iocs"),
     "alias 'iocs' already exists"),
    (("collection", "create", "New", "--owner", "CERT-VN", "--alias", "Bad Alias"),
     "alias: 'Bad Alias' must be lowercase"),
    (("collection", "create", "New", "--owner", "CERT-VN", "--default-tlp", "red"),
     "RED default needs a collection that allows RED"),
    (("collection", "create", " ", "--owner", "CERT-VN"), "a collection needs a title"),
    (("collection", "create", "t" * 201, "--owner", "CERT-VN"), "title: at most 200 characters"),
    (("collection", "grant", "nothing", "CERT-FR"), "unknown collection 'nothing'"),
    (("collection", "grant", "iocs", "CERT-XX"), "unknown team 'CERT-XX'"),
    (("collection", "grant", "iocs", "CERT-FR", "--max-tlp", "red"), "does not accept RED"),
    (("collection", "grant", "iocs", "CERT-FR", "--no-read"), "reading, writing or both"),
    (("collection", "revoke", "iocs", "CERT-FR"), "has no grant on 'Shared IOCs'"),
])
def test_collection_errors_are_one_clear_line(accord: Invoke, session: Session,
                                              args: tuple[str, ...], message: str) -> None:
    owner = make_team(session, "CERT-VN")
    make_team(session, "CERT-FR", "FR")
    make_collection(session, owner, "Shared IOCs", alias="iocs")
    fails(accord(*args), message)


def test_db_check_on_a_migrated_database(accord: Invoke) -> None:
    assert ok(accord("db", "check")).stdout.strip() == "Database schema is current."
    assert ok(accord("db", "upgrade")).stdout.strip().splitlines()[-1] == \
        f"Database is up to date (revision {migration_head()})."


def test_installed_command_on_an_empty_database(empty_database_url: str) -> None:
    """The real ``accord`` script: refuse before ``db upgrade``, then work, with clean errors."""
    env = accord_env(empty_database_url)
    before = run("accord", "team", "list", env=env)
    assert before.returncode == 1
    assert "accord db upgrade" in one_error_line(before.stderr)
    upgraded = run("accord", "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().splitlines()[-1].startswith("Created the Accord schema")
    again = run("accord", "db", "upgrade", env=env)
    assert again.stdout.strip().splitlines()[-1] == \
        f"Database is up to date (revision {migration_head()})."
    created = run("accord", "team", "create", "CERT-VN", "--country", "vn", "--json", env=env)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["country_code"] == "VN"
    duplicate = run("accord", "team", "create", "CERT-VN", "--country", "VN", env=env)
    assert duplicate.returncode == 1 and duplicate.stdout == ""
    assert one_error_line(duplicate.stderr) == "Error: a team named 'CERT-VN' already exists"
