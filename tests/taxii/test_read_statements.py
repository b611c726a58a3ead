"""TAXII reads in few round trips (issue 15): the credential, the login limits, the collection
and the grant come in one statement, then the page, then the audit row; nothing is lost on the
way (every read still leaves its exact audit event, a full login counter still answers 429, a
hidden collection is still 404).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from accord.db import database
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.tlp import Tlp
from tests.factories import json_of, make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import basic, bearer

TAXII = "application/taxii+json;version=2.1"
MAX_STATEMENTS = 3
"""Per TAXII read: caller with collection and grant, the page, the audit row."""


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = database(app).engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _setup(session: Session) -> tuple[Team, User, Collection, str]:
    team = make_team(session, "CERT-VN")
    user = make_user(session, team, Role.ANALYST, username="lan")
    collection = make_collection(session, team, "Reads", alias="reads")
    make_grant(session, collection, team, read=True, write=True, max_tlp=Tlp.AMBER)
    return team, user, collection, make_token(session, user)[1]


def _get(client: FlaskClient, path: str, authorization: str) -> Any:
    return client.get(path, headers={"Accept": TAXII, "Authorization": authorization})


def _store(client: FlaskClient, collection: Collection, authorization: str,
           count: int) -> list[str]:
    objects = [indicator(f"192.0.2.{n}", tlp=Tlp.GREEN) for n in range(1, count + 1)]
    reply = client.post(f"/taxii2/api/collections/{collection.id}/objects/",
                        json=envelope(*objects),
                        headers={"Accept": TAXII, "Content-Type": TAXII,
                                 "Authorization": authorization})
    assert json_of(reply)["success_count"] == count
    return [obj["id"] for obj in objects]


def test_a_read_takes_at_most_three_statements(app: Flask, client: FlaskClient,
                                               session: Session) -> None:
    """Get-object, first page, manifest and versions, by id and by alias, with a token."""
    _, _, collection, token = _setup(session)
    ids = _store(client, collection, bearer(token), 3)
    base = f"/taxii2/api/collections/{collection.id}/"
    paths = [f"{base}objects/{ids[1]}/", f"{base}objects/?limit=2", f"{base}manifest/",
             f"{base}objects/{ids[0]}/versions/", "/taxii2/api/collections/reads/objects/"]
    for path in paths:
        with statements(app) as seen:
            reply = _get(client, path, bearer(token))
        assert reply.status_code == 200, reply.data
        assert len(seen) <= MAX_STATEMENTS, (path, seen)
        assert seen[-1].lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")


def test_basic_auth_reads_take_three_statements_once_the_password_is_cached(
        app: Flask, client: FlaskClient, session: Session) -> None:
    _, user, collection, token = _setup(session)
    ids = _store(client, collection, bearer(token), 1)
    path = f"/taxii2/api/collections/{collection.id}/objects/{ids[0]}/"
    assert _get(client, path, basic(user.username)).status_code == 200  # argon2, then cached
    with statements(app) as seen:
        assert _get(client, path, basic(user.username)).status_code == 200
    assert len(seen) <= MAX_STATEMENTS, seen


def test_every_read_still_leaves_its_exact_audit_event(app: Flask, client: FlaskClient,
                                                       session: Session) -> None:
    team, user, collection, token = _setup(session)
    ids = _store(client, collection, bearer(token), 4)
    base = f"/taxii2/api/collections/{collection.id}/objects/"
    for stix_id in ids:
        assert _get(client, f"{base}{stix_id}/", bearer(token)).status_code == 200
    assert _get(client, f"{base}?limit=3", bearer(token)).status_code == 200
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("taxii.read.%"))
                                .order_by(AuditEvent.id)))
    assert [(row.action, row.outcome, row.actor_id, row.actor_name, row.team_id,
             row.team_name, row.target_type, row.target_id, row.source_address, row.details)
            for row in rows] == [
        *[("taxii.read.object", "success", user.id, "lan", team.id, "CERT-VN", "collection",
           str(collection.id), "127.0.0.1", {"objects": 1, "tlp": ["green"], "more": False})] * 4,
        ("taxii.read.objects", "success", user.id, "lan", team.id, "CERT-VN", "collection",
         str(collection.id), "127.0.0.1", {"objects": 3, "tlp": ["green"], "more": True})]
    assert all(row.occurred_at is not None for row in rows)


def test_a_full_login_counter_still_refuses_a_valid_token(app: Flask, client: FlaskClient,
                                                          session: Session) -> None:
    """The limits' verdict rides in the joined statement; a full counter is still a 429."""
    app.config.update(LOGIN_FAILURES_PER_ADDRESS=2)
    _, _, collection, token = _setup(session)
    path = f"/taxii2/api/collections/{collection.id}/objects/"
    assert _get(client, path, bearer("acd_" + "x" * 40)).status_code == 401
    assert _get(client, path, bearer("acd_" + "y" * 40)).status_code == 401
    refused = _get(client, path, bearer(token))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_hidden_and_unknown_collections_are_404_in_the_joined_lookup(
        app: Flask, client: FlaskClient, session: Session) -> None:
    _, _, _, token = _setup(session)
    other = make_team(session, "CERT-EE")
    hidden = make_collection(session, other, "Hidden", alias="hidden")
    for ref in (str(hidden.id), "hidden", "no-such-alias",
                "00000000-0000-4000-8000-000000000000"):
        reply = _get(client, f"/taxii2/api/collections/{ref}/objects/", bearer(token))
        assert reply.status_code == 404, ref
    assert _get(client, "/taxii2/nowhere/collections/reads/objects/",
                bearer(token)).status_code == 404
    assert _get(client, "/taxii2/api/collections/reads/objects/",
                bearer("acd_" + "z" * 40)).status_code == 401
