"""A database that is busy or away for a moment is answered 503 with Retry-After, in the path's
own dialect; a statement the database refuses stays a logged 500 (it is a bug, not a state)."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from accord import audit
from accord.dberrors import explain, is_unavailable
from accord.models.users import Role
from tests.factories import PASSWORD, make_collection, make_grant, make_team, make_user

TAXII = "application/taxii+json;version=2.1"


def _failing(message: str) -> OperationalError:
    return OperationalError("INSERT INTO audit_events ...", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize("message", [
    "database is locked",
    "connection failed: connection to server at \"127.0.0.1\", port 5432 failed: "
    "Connection refused",
    "terminating connection due to administrator command",
    "FATAL:  the database system is starting up",
    "sorry, too many clients already",
])
def test_busy_or_unreachable_databases_are_unavailable(message: str) -> None:
    assert is_unavailable(_failing(message))


def test_refused_statements_are_not_unavailability() -> None:
    assert not is_unavailable(_failing("no such column: stix_objects.nope"))
    assert not is_unavailable(ProgrammingError("SELECT", {}, Exception("syntax error")))
    assert not is_unavailable(ValueError("database is locked"))  # only the driver's word counts
    lost = DBAPIError("SELECT 1", {}, Exception("SSL SYSCALL error: EOF detected"),
                      connection_invalidated=True)
    assert is_unavailable(lost)


def test_a_locked_database_answers_taxii_503_with_retry_after(
        client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    team = make_team(session, "CERT-VN", "VN")
    user = make_user(session, team, Role.ANALYST, username="lan")
    collection = make_collection(session, team, "Indicators")
    make_grant(session, collection, team, read=True, write=True)
    auth = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    headers = {"Accept": TAXII, "Authorization": f"Basic {auth}"}
    url = f"/taxii2/api/collections/{collection.id}/"

    def locked(*_args: object, **_kwargs: object) -> None:
        raise _failing("database is locked")

    monkeypatch.setattr(audit, "record", locked)
    answer = client.get(url, headers=headers)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.content_type == TAXII
    assert answer.get_json()["http_status"] == "503"

    def broken(*_args: object, **_kwargs: object) -> None:
        raise _failing("no such column: audit_events.nope")

    monkeypatch.setattr(audit, "record", broken)
    answer = client.get(url, headers=headers)
    assert answer.status_code == 500
    assert "Retry-After" not in answer.headers


def test_the_cli_names_a_locked_sqlite_file_in_plain_words(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    line = explain(_failing("database is locked"), url)
    assert line.startswith(f"the SQLite database {tmp_path / 'hub.sqlite3'} stayed locked")
    assert "PostgreSQL" in line  # where a hub this busy belongs
