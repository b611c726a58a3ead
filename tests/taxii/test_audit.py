"""Every TAXII read, write and delete of shared data leaves an exact audit event (rule 6).

Who (user and team), what (collection or object, counts, TLP levels served), when and from
where, for get objects/object/versions/manifest (sections 5.3-5.8), add objects (5.5) and
delete (5.7), over real HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.tlp import Tlp
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.conftest import indicator
from tests.taxii.wire import Wire, bearer

LOOPBACK = "127.0.0.1"


@dataclass
class Audited:
    """A source team sharing four TLP levels, and a partner (AMBER grant) that reads them."""

    url: str
    source: Team
    partner: Team
    analyst: User
    reader: User
    service: User
    collection: Collection
    wires: dict[str, Wire]
    objects: dict[Tlp, dict[str, Any]]
    since: datetime

    def events(self, session: Session) -> list[AuditEvent]:
        """TAXII audit events written since the fixture was built, oldest first."""
        session.expire_all()
        return list(session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("taxii.%"), AuditEvent.occurred_at >= self.since)
            .order_by(AuditEvent.id)))


@pytest.fixture
def audited(session: Session, live_server: LiveServer) -> Audited:
    source, partner = make_team(session, "CERT-VN"), make_team(session, "CERT-EE")
    collection = make_collection(session, source, "Audited", allows_red=True)
    make_grant(session, collection, partner, read=True, write=True, max_tlp=Tlp.AMBER)
    analyst = make_user(session, source, Role.ANALYST, username="lan")
    reader = make_user(session, partner, Role.ANALYST, username="kristjan")
    service = make_user(session, partner, Role.SERVICE, username="ee-sync")
    wires = {user.username: Wire.of(live_server.url, collection,
                                    bearer(make_token(session, user)[1]))
             for user in (analyst, reader, service)}
    objects = {level: indicator(f"192.0.2.{n}", tlp=level)
               for n, level in enumerate([Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED], 1)}
    objects[Tlp.AMBER]["modified"] = "2026-11-02T08:00:00.000Z"
    first_amber = dict(objects[Tlp.AMBER], modified="2026-11-01T08:00:00.000Z")
    assert wires["lan"].add(first_amber, *objects.values())["success_count"] == 5
    return Audited(live_server.url, source, partner, analyst, reader, service, collection,
                   wires, objects, utcnow())


def fields(event: AuditEvent) -> dict[str, Any]:
    """The audited columns that must be exact (everything but the row id and the time)."""
    return {"action": event.action, "outcome": event.outcome, "actor_id": event.actor_id,
            "actor_name": event.actor_name, "team_id": event.team_id,
            "team_name": event.team_name, "target_type": event.target_type,
            "target_id": event.target_id, "source_address": event.source_address,
            "details": event.details}


def read_event(audited: Audited, user: User, resource: str, objects: int, tlp: list[str],
               more: bool = False) -> dict[str, Any]:
    team = audited.partner if user.team_id == audited.partner.id else audited.source
    return {"action": f"taxii.read.{resource}", "outcome": "success", "actor_id": user.id,
            "actor_name": user.username, "team_id": team.id, "team_name": team.name,
            "target_type": "collection", "target_id": str(audited.collection.id),
            "source_address": LOOPBACK,
            "details": {"objects": objects, "tlp": tlp, "more": more}}


def test_every_read_path_records_team_collection_count_and_levels(
        session: Session, audited: Audited) -> None:
    wire, reader = audited.wires["kristjan"], audited.reader
    amber = audited.objects[Tlp.AMBER]["id"]
    calls: list[tuple[Any, dict[str, Any]]] = [
        (wire.get(), read_event(audited, reader, "objects", 2, ["amber", "green"])),
        (wire.get(limit="1"), read_event(audited, reader, "objects", 1, ["green"], more=True)),
        (wire.get(match_type="malware"), read_event(audited, reader, "objects", 0, [])),
        (wire.get(f"objects/{amber}/"), read_event(audited, reader, "object", 1, ["amber"])),
        (wire.get(f"objects/{amber}/", match_version="all"),
         read_event(audited, reader, "object", 2, ["amber"])),
        (wire.get(f"objects/{amber}/versions/"),
         read_event(audited, reader, "versions", 2, ["amber"])),
        (wire.get("manifest/", match_version="all"),
         read_event(audited, reader, "manifest", 3, ["amber", "green"])),
    ]
    assert [response.status_code for response, _ in calls] == [200] * len(calls)
    assert [fields(event) for event in audited.events(session)] == [want for _, want in calls]
    assert all(audited.since <= event.occurred_at <= utcnow()
               for event in audited.events(session))


def test_source_team_and_service_reads_name_their_own_actor(session: Session,
                                                           audited: Audited) -> None:
    audited.wires["lan"].get("manifest/")
    audited.wires["ee-sync"].get()
    assert [fields(event) for event in audited.events(session)] == [
        read_event(audited, audited.analyst, "manifest", 4,
                   ["amber", "amber+strict", "green", "red"]),
        read_event(audited, audited.service, "objects", 2, ["amber", "green"]),
    ]


def test_a_write_records_counts_levels_and_the_status_id(session: Session,
                                                        audited: Audited) -> None:
    duplicate = audited.objects[Tlp.GREEN]
    bad = indicator(pattern="[ipv4-addr:value = ")
    fresh = [indicator("198.51.100.1", tlp=Tlp.CLEAR), indicator("198.51.100.2"),
             indicator("198.51.100.3", tlp=Tlp.RED)]
    status = audited.wires["kristjan"].add(duplicate, bad, *fresh)
    assert (status["success_count"], status["failure_count"]) == (4, 1)
    [event] = audited.events(session)
    assert fields(event) == {
        "action": "taxii.write", "outcome": "success", "actor_id": audited.reader.id,
        "actor_name": "kristjan", "team_id": audited.partner.id, "team_name": "CERT-EE",
        "target_type": "collection", "target_id": str(audited.collection.id),
        "source_address": LOOPBACK,
        "details": {"status": status["id"], "total": 5, "stored": 3, "duplicates": 1,
                    "failures": 1, "tlp": {"clear": 1, "amber": 1, "red": 1}}}
    assert uuid.UUID(status["id"])


def test_deletes_are_audited_with_the_versions_removed(session: Session,
                                                      audited: Audited) -> None:
    wire = audited.wires["lan"]
    amber, green = audited.objects[Tlp.AMBER]["id"], audited.objects[Tlp.GREEN]["id"]
    assert wire.delete(amber, match_version="2026-11-01T08:00:00.000Z").status_code == 200
    assert wire.delete(green).status_code == 200
    base = {"action": "taxii.delete", "outcome": "success", "actor_id": audited.analyst.id,
            "actor_name": "lan", "team_id": audited.source.id, "team_name": "CERT-VN",
            "target_type": "stix_object", "source_address": LOOPBACK}
    collection = str(audited.collection.id)
    assert [fields(event) for event in audited.events(session)] == [
        {**base, "target_id": amber, "details": {"collection": collection, "versions": 1}},
        {**base, "target_id": green, "details": {"collection": collection, "versions": 1}},
    ]


def test_the_source_address_is_the_callers(session: Session, audited: Audited,
                                           client: Any) -> None:
    """The test client lets the peer address vary; the audit row must carry it."""
    headers = {"Accept": "application/taxii+json;version=2.1",
               "Authorization": audited.wires["kristjan"].authorization}
    for address in ("203.0.113.9", "2001:db8::7"):
        response = client.get(f"/taxii2/api/collections/{audited.collection.id}/manifest/",
                              headers=headers, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200
    assert [event.source_address for event in audited.events(session)] == [
        "203.0.113.9", "2001:db8::7"]
