"""Sharing agreements through the service, the CLI and the JSON API (issue 17): clear 4xx for
unknown teams, bad IEP statements, an end before the start and duplicates; an audit row for each
change; partners see only their agreements, only admins change them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.errors import BadRequest, Conflict
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.services import agreements
from tests.accord.agreement_world import World, build
from tests.factories import json_of, make_team
from tests.taxii.wire import bearer


@pytest.fixture
def world(session: Session, clock: ManualClock) -> World:
    return build(session)


def _cli(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.target_type == "agreement").order_by(AuditEvent.id)))


@pytest.mark.parametrize(("changes", "message"), [
    ({"partners": ["CERT-XX"]}, "partners: unknown team 'CERT-XX'"),
    ({"partners": ["CERT-VN"]}, "the providing team, not a partner"),
    ({"partners": []}, "at least one partner"),
    ({"default_policy": {"permitted_actions": "sell-it"}}, "default_policy: permitted_actions"),
    ({"default_policy": {"iep_version": "1.0"}}, "iep_version"),
    ({"default_policy": "amber"}, "JSON object of statements"),
    ({"ends_at": "2020-01-01"}, "ends_at: the agreement must end after it starts"),
    ({"starts_at": "next tuesday"}, "starts_at: 'next tuesday' is not a date"),
    ({"retention_days": 0}, "retention_days: must be at least 1"),
    ({"retention_days": "1.5"}, "retention_days: must be a whole number"),
    ({"purpose": "  "}, "purpose: an agreement needs a purpose"),
    ({"colour": "red"}, "unknown field(s): colour"),
])
def test_bad_changes_are_400s_naming_the_field(session: Session, world: World,
                                                changes: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        agreements.update_agreement(session, "Phishing response", changes)
    assert message in caught.value.description


def test_create_update_end_are_audited(session: Session, world: World,
                                       clock: ManualClock) -> None:
    with pytest.raises(Conflict, match="already exists"):
        agreements.create_agreement(session, "Phishing response", "CERT-VN", "x", ["CERT-EE"])
    session.rollback()
    with pytest.raises(BadRequest, match="owner_team: unknown team 'Nobody'"):
        agreements.create_agreement(session, "New", "Nobody", "x", ["CERT-EE"])
    session.rollback()
    agreements.update_agreement(session, "Phishing response",
                                {"retention_days": 30, "partners": ["CERT-EE", "CERT-CL"]})
    ended = agreements.end_agreement(session, "Phishing response")
    session.commit()
    assert ended.ends_at is not None and ended.ends_at <= clock.now()
    assert agreements.status(ended) == "ended"
    with pytest.raises(Conflict, match="already ended"):
        agreements.end_agreement(session, "Phishing response")
    assert _actions(session) == ["agreement.create", "agreement.update", "agreement.end"]
    update = session.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.update")
                             ).one()
    assert update.details["changed"] == {"retention_days": 30,
                                         "partners": ["CERT-CL", "CERT-EE"]}


def test_cli_create_list_show_end(app: Flask, session: Session, clock: ManualClock) -> None:
    for name in ("CERT-VN", "CERT-EE"):
        make_team(session, name)
    created = _cli(app, "agreements", "create", "Fraud", "--owner", "CERT-VN", "--partner",
                   "CERT-EE", "--purpose", "Fighting payment fraud", "--legal-basis", "Art. 6",
                   "--policy", '{"permitted_actions": "contact-for-instruction"}',
                   "--retention-days", "30", "--starts", "2026-01-01", "--json")
    assert created.exit_code == 0, created.output
    data = json.loads(created.output)
    assert data["policy_in_words"] == [{"statement": "What recipients may do",
                                        "meaning": "ask the provider before acting on it"}]
    assert data["starts_at"] == "2026-01-01T00:00:00Z"
    collection = _cli(app, "collection", "create", "Fraud cases", "--owner", "CERT-VN",
                      "--agreement", "Fraud", "--json")
    assert json.loads(collection.output)["agreement_id"] == data["id"]
    granted = _cli(app, "collection", "grant", "Fraud cases", "CERT-EE", "--json")
    assert json.loads(granted.output)["agreement_id"] == data["id"]
    listing = _cli(app, "agreements", "list")
    assert "Fraud" in listing.output and "active" in listing.output
    shown = _cli(app, "agreements", "show", "Fraud")
    assert "Grant: CERT-EE on Fraud cases (works)" in shown.output
    assert "Retention: 30 days after it is shared" in shown.output
    bad = _cli(app, "agreements", "create", "X", "--owner", "CERT-VN", "--partner", "CERT-ZZ",
               "--purpose", "p")
    assert bad.exit_code == 1 and "Error: partners: unknown team 'CERT-ZZ'" in bad.output
    policy = _cli(app, "agreements", "create", "Y", "--owner", "CERT-VN", "--partner",
                  "CERT-EE", "--purpose", "p", "--policy", '{"tlp": "purple"}')
    assert policy.exit_code == 1 and "default_policy: tlp 'purple' is not one of" in policy.output
    early = _cli(app, "agreements", "end", "Fraud", "--at", "2025-12-31")
    assert early.exit_code == 1 and "cannot end before that" in early.output
    ended = _cli(app, "agreements", "end", "Fraud")
    assert ended.exit_code == 0
    assert "(not in force)" in _cli(app, "agreements", "show", "Fraud").output
    assert session.scalar(select(Collection.agreement_id).where(
        Collection.title == "Fraud cases")) is not None


def test_api_reads_for_parties_and_changes_for_admins(client: FlaskClient, session: Session,
                                                      world: World) -> None:
    def call(method: str, path: str, user: str, **kwargs: Any) -> Any:
        return client.open(f"/api/v1/agreements{path}", method=method,
                           headers={"Authorization": bearer(world.tokens[user])}, **kwargs)

    assert [a["title"] for a in json_of(call("GET", "", "kristjan"))["agreements"]] == [
        "Phishing response"]
    stranger = agreements.create_agreement(session, "Private", "CERT-VN", "x", ["CERT-CL"])
    session.commit()
    assert call("GET", f"/{stranger.id}", "kristjan").status_code == 404
    assert call("POST", "", "kristjan", json={"title": "x"}).status_code == 403
    body = {"title": "Botnets", "owner_team": "CERT-VN", "purpose": "Botnet takedown",
            "partners": ["CERT-EE"], "default_policy": {"encrypt_in_transit": "must"},
            "retention_days": 14}
    created = call("POST", "", "boss", json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert json_of(created)["policy_in_words"][0]["meaning"].startswith("must be encrypted")
    assert call("POST", "", "boss", json=body).status_code == 409
    assert call("POST", "", "boss", json={**body, "title": "B2", "partners": ["Nope"]}
                ).status_code == 400
    assert call("POST", "", "boss", json={**body, "title": "B2", "partners": "CERT-EE"}
                ).status_code == 400
    for wrong in ({"title": "C", "alias": 5}, {"title": ["C"]}, {"title": "C", "colour": 1}):
        assert call("POST", "/Botnets/collections", "boss", json=wrong).status_code == 400
    assert call("POST", "/Botnets/grants", "boss",
                json={"collection": "x", "team": "CERT-EE", "can_read": "no"}).status_code == 400
    assert call("POST", "", "boss", json={**body, "title": 7}).status_code == 400
    made = call("POST", "/Botnets/collections", "boss", json={"title": "Botnet C2"})
    assert made.status_code == 201
    grant = call("POST", "/Botnets/grants", "boss",
                 json={"collection": "Botnet C2", "team": "CERT-EE"})
    assert grant.status_code == 201 and json_of(grant)["agreement"] == "Botnets"
    outsider = call("POST", "/Botnets/grants", "boss",
                    json={"collection": "Botnet C2", "team": "CERT-CL"})
    assert outsider.status_code == 400
    patched = call("PATCH", "/Botnets", "boss", json={"retention_days": 7})
    assert json_of(patched)["retention_days"] == 7
    assert call("POST", "/Botnets/end", "boss", json={"at": "1999-01-01"}).status_code == 400
    assert json_of(call("POST", "/Botnets/end", "boss"))["status"] == "ended"
