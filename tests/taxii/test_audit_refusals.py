"""Refused reads and writes are audited too: who probed which collection, and how (rule 6)."""

from __future__ import annotations

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from tests.factories import PASSWORD, make_team, make_user
from tests.taxii.conftest import Hub

ACCEPT = {"Accept": "application/taxii+json;version=2.1"}


def _refusals(session: Session) -> list[tuple[str | None, str | None, str | None, int, str]]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "taxii.refused")
                           .order_by(AuditEvent.occurred_at))
    return [(row.actor_name, row.team_name, row.target_id, row.details["status"],
             row.details["method"]) for row in rows]


def test_probes_and_refused_writes_leave_audit_events(hub: Hub, session: Session) -> None:
    outsider = make_user(session, make_team(session, "CERT-XX", "FR"), username="probe")
    unknown = "indicator--00000000-0000-4000-8000-000000000000"
    analyst = (hub.analyst.username, PASSWORD)
    missing = requests.get(f"{hub.collection_url()}objects/{unknown}/", headers=ACCEPT,
                           auth=analyst, timeout=10)
    hidden = requests.get(f"{hub.collection_url()}objects/", headers=ACCEPT,
                          auth=(outsider.username, PASSWORD), timeout=10)
    wrong_type = requests.post(f"{hub.collection_url()}objects/", data=b"{}", auth=analyst,
                               headers={**ACCEPT, "Content-Type": "application/json"},
                               timeout=10)
    assert (missing.status_code, hidden.status_code, wrong_type.status_code) == (404, 404, 415)
    session.expire_all()
    collection = str(hub.collection.id)
    assert _refusals(session) == [
        ("lan", "CERT-VN", collection, 404, "GET"),
        ("probe", "CERT-XX", collection, 404, "GET"),
        ("lan", "CERT-VN", collection, 415, "POST"),
    ]


def test_unauthenticated_requests_are_not_refusal_events(hub: Hub, session: Session) -> None:
    response = requests.get(f"{hub.collection_url()}objects/", headers=ACCEPT, timeout=10)
    assert response.status_code == 401
    session.expire_all()
    assert _refusals(session) == []  # nobody to name; wrong credentials are auth.failed events
