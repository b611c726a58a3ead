"""An IEP-marked object from a partner round-trips through a second hub with its policy intact
and enforced there (issue 17). Hub A serves the object (attribution must-not, analysis only,
an end_date soon); hub B takes it with the feed machinery, by pull (A's TAXII answer to
automation) and by push; on B the stored policy equals A's, B's blocklist holds it back, B's
partners see B's hub instead of A's team, and after the end_date it leaves B's exports and
automation reads. Uses the two live hubs of ``tests.feeds.test_hub``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from accord.clock import ManualClock
from accord.db import database, utcnow
from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from accord.models.users import Role
from accord.sharing.attribution import hub_identity_id
from accord.sharing.outbound import outbound_page
from accord.tlp import Tlp, marking_ref
from tests.conftest import LiveServer
from tests.factories import make_grant, make_team, make_user
from tests.feeds.test_hub import Side, _feed, _hub_b, _run, _share, hubs
from tests.iepsamples import iep_marking, marked_indicator

__all__ = ["_hub_b", "hubs"]  # fixtures, used by name
pytestmark = pytest.mark.slow
BRAVO_HUB = "Bravo national hub"


@pytest.fixture
def named_hubs(hubs: tuple[Side, Side], live_server: LiveServer) -> Iterator[tuple[Side, Side]]:
    """The two hubs, hub B under its own HUB_NAME (hub A keeps the test default)."""
    bravo = hubs[1]
    before = bravo.app.config["HUB_NAME"]
    bravo.app.config["HUB_NAME"] = BRAVO_HUB
    try:
        yield hubs
    finally:
        bravo.app.config["HUB_NAME"] = before


def _policy_and_document(app: Flask, stix_id: str) -> tuple[dict[str, Any] | None, str]:
    with database(app).sessionmaker() as session:
        row = session.execute(select(StixObject.iep_policy, StixObject.document).where(
            StixObject.stix_id == stix_id)).one()
        return row.iep_policy, row.document


def _charlie(bravo: Side) -> str:
    """A partner of hub B (not A's team) with a reader on B's live collection."""
    with database(bravo.app).sessionmaker() as session:
        team = make_team(session, "Charlie CERT", "FR")
        make_grant(session, bravo.collection, team, read=True, max_tlp=Tlp.AMBER)
        return make_user(session, team, Role.ANALYST, username="charlie").username


def _export(app: Flask, collection: Any, user: str, fmt: str) -> Result:
    result = app.test_cli_runner().invoke(args=["export", str(collection.id), "--as", user,
                                                "--format", fmt, "--type", "indicator"])
    assert result.exit_code == 0, result.output
    return result


def _automation_read(bravo: Side) -> list[str]:
    """What hub B serves to automation (as to a third hub pulling), as ids."""
    with bravo.app.app_context(), database(bravo.app).sessionmaker() as session:
        rows = session.execute(select(
            StixObject.document, StixObject.tlp, StixObject.origin, StixObject.source_team_id,
            StixObject.iep_policy, StixObject.expires_at).where(
            StixObject.collection_id == bravo.collection.id)).all()
        return [json.loads(doc)["id"] for doc in outbound_page(session, rows, BRAVO_HUB, None)]


@pytest.mark.parametrize("how", ["pull", "push"])
def test_an_iep_marked_object_round_trips_with_its_policy_enforced(
        named_hubs: tuple[Side, Side], clock: ManualClock, how: str) -> None:
    alpha, bravo = named_hubs
    end = (utcnow() + timedelta(days=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    marking = iep_marking(name="Alpha: analysis only, no attribution",
                          attribution="must-not", permitted_actions="internally-visible-actions",
                          unmodified_resale="must-not", end_date=end)
    green = marking_ref(Tlp.GREEN)
    secret, plain = marked_indicator(7, green, marking["id"]), marked_indicator(8, green)
    _share(alpha, [marking, secret, plain])
    if how == "pull":
        feed = _feed(bravo, alpha, "taxii21-pull", "bravo-from-alpha")
        assert _run(bravo, feed) == 4  # with the hub identity naming the hidden source
        assert _run(bravo, feed) == 0  # the overlap re-reads them: the same versions
    else:
        assert _run(alpha, _feed(alpha, bravo, "taxii21-push", "alpha-to-bravo")) == 4

    a_policy, _ = _policy_and_document(alpha.app, secret["id"])
    b_policy, b_document = _policy_and_document(bravo.app, secret["id"])
    assert a_policy is not None and b_policy == a_policy
    assert json.loads(b_document)["created_by_ref"] == hub_identity_id(
        alpha.app.config["HUB_NAME"])
    assert alpha.team.identity_id not in b_document

    charlie = _charlie(bravo)
    blocklist = _export(bravo.app, bravo.collection, charlie, "blocklist")
    assert blocklist.stdout.split() == ["198.51.100.8"]
    assert f"{secret['id']}: IEP permitted_actions is internally-visible-actions" \
        in blocklist.stderr
    with database(bravo.app).sessionmaker() as session:
        details = session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "cli.export").order_by(AuditEvent.id.desc())).first()
        assert details is not None and [item["id"] for item in details["held_back"]] == [
            secret["id"]]
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(
        _export(bravo.app, bravo.collection, charlie, "csv").stdout))}
    assert secret["id"] not in rows and plain["id"] in rows
    bundle = json.loads(_export(bravo.app, bravo.collection, charlie, "bundle").stdout)
    copies = {obj["id"]: obj for obj in bundle["objects"]}
    assert copies[secret["id"]]["created_by_ref"] == hub_identity_id(BRAVO_HUB)
    assert copies[hub_identity_id(BRAVO_HUB)]["name"] == BRAVO_HUB
    assert "Alpha CERT" not in json.dumps(copies[secret["id"]])
    assert alpha.team.identity_id not in json.dumps(copies[secret["id"]])
    assert secret["id"] in _automation_read(bravo)

    clock.advance(seconds=2 * 86_400 + 1)
    for fmt in ("bundle", "csv", "blocklist"):
        out = _export(bravo.app, bravo.collection, charlie, fmt).stdout
        assert secret["id"] not in out and "198.51.100.7" not in out, fmt
        assert "198.51.100.8" in out, fmt
    assert secret["id"] not in _automation_read(bravo)
    assert plain["id"] in _automation_read(bravo)
