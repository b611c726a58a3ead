"""Edges of the write path: contested versions, copies keep their origin, SCOs without
spec_version, exercise separation by identity, label case and granular markings, and feed
settings that could only move RED (docs/sharing-rules.md)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import BadRequest
from accord.models.collections import Collection, CollectionKind
from accord.models.stix import StixObject
from accord.models.users import Role
from accord.sharing.exercise_separation import EXERCISE_MARKING_ID
from accord.sharing.ingest import EXERCISE_IN_LIVE, NOT_SOURCE_TEAM, Author, add_objects
from accord.sharing.query import ObjectFilter, read_page
from accord.tlp import ReadAccess, Tlp, marking_ref
from accord.web import activity
from feeds import sources
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.taxii.conftest import indicator


def _add(session: Session, collection: Collection, team_id: uuid.UUID,
         *objects: dict[str, Any]) -> dict[str, str]:
    """Store and return {id: 'ok' | failure message}."""
    result = add_objects(session, collection, list(objects), Author(team_id))
    session.commit()
    verdicts = {item["id"]: "ok" for item in result.successes}
    verdicts.update({item["id"]: item["message"] for item in result.failures})
    return verdicts


def _names(session: Session, collection: Collection, access: ReadAccess, stix_id: str
           ) -> list[str]:
    page = read_page(session, [StixObject.document], collection.id, access,
                     ObjectFilter(ids=(stix_id,)), 10)
    return [row.document.split('"name":"')[1].split('"')[0] for row in page.rows]


def test_a_writer_that_cannot_read_an_id_keeps_its_versions_to_itself(session: Session) -> None:
    owner, reader, writer = (make_team(session, name) for name in ("OWN", "RDR", "WRT"))
    collection = make_collection(session, owner, "Shared", allows_red=True)
    make_grant(session, collection, reader, max_tlp=Tlp.RED)
    make_grant(session, collection, writer, write=True, max_tlp=Tlp.GREEN)
    secret = indicator(tlp=Tlp.RED, name="origin")
    assert _add(session, collection, owner.id, secret) == {secret["id"]: "ok"}
    for n, modified in enumerate(("2026-11-05T00:00:00.000Z", "2026-11-06T00:00:00.000Z")):
        forged = dict(secret, modified=modified, name=f"forged {n}",
                      object_marking_refs=[marking_ref(Tlp.GREEN)])
        assert _add(session, collection, writer.id, forged) == {secret["id"]: "ok"}
    for team, names in ((owner, ["origin"]), (reader, ["origin"]), (writer, ["forged 1"])):
        access = ReadAccess(team_id=team.id, max_tlp=Tlp.RED)
        assert _names(session, collection, access, secret["id"]) == names, team.name
    contested = session.scalars(select(StixObject.contested).where(
        StixObject.stix_id == secret["id"]).order_by(StixObject.version)).all()
    assert contested == [False, True, True]


def test_a_copy_keeps_its_origin_so_the_origin_can_still_version_it(session: Session) -> None:
    origin, copier = make_team(session, "ORIGIN"), make_team(session, "COPIER")
    first = make_collection(session, origin, "First")
    make_grant(session, first, copier, write=True, max_tlp=Tlp.GREEN)
    second = make_collection(session, copier, "Second")
    make_grant(session, second, origin, write=True, max_tlp=Tlp.GREEN)
    obj = indicator(tlp=Tlp.GREEN)
    assert _add(session, first, origin.id, obj) == {obj["id"]: "ok"}
    assert _add(session, second, copier.id, obj) == {obj["id"]: "ok"}
    later = dict(obj, modified="2026-11-09T00:00:00.000Z", name="v2")
    assert _add(session, second, origin.id, later) == {obj["id"]: "ok"}
    by_copier = dict(obj, modified="2026-11-10T00:00:00.000Z", name="v3")
    assert _add(session, second, copier.id, by_copier) == {obj["id"]: NOT_SOURCE_TEAM}


def test_scos_without_spec_version_are_stix_2_1(session: Session) -> None:
    team = make_team(session, "SCO")
    collection = make_collection(session, team, "Observables")
    address = {"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
               "value": "198.51.100.3"}
    no_spec = {k: v for k, v in indicator().items() if k != "spec_version"}
    verdicts = _add(session, collection, team.id, address, no_spec)
    assert verdicts == {address["id"]: "ok", no_spec["id"]: "spec_version: must be '2.1'"}


@pytest.mark.parametrize("disguise", ["stripped", "label Exercise", "label ' EXERCISE '",
                                      "granular marking"])
def test_exercise_data_is_refused_by_identity_label_case_and_granular(
        session: Session, disguise: str) -> None:
    team = make_team(session, "EXCON")
    play = make_collection(session, team, "Play", kind=CollectionKind.EXERCISE)
    live = make_collection(session, team, "Live")
    if disguise == "stripped":  # once in an exercise collection, an id is exercise data
        played = indicator(labels=["exercise"], object_marking_refs=[EXERCISE_MARKING_ID])
        assert _add(session, play, team.id, played) == {played["id"]: "ok"}
        obj = {k: v for k, v in played.items() if k not in ("labels", "object_marking_refs")}
    elif disguise == "granular marking":
        obj = indicator(description="drill", granular_markings=[
            {"marking_ref": EXERCISE_MARKING_ID, "selectors": ["description"]}])
    else:
        obj = indicator(labels=[disguise.split(" ", 1)[1].strip("'")])
    assert _add(session, live, team.id, obj) == {obj["id"]: EXERCISE_IN_LIVE}


def test_the_dashboard_never_shows_exercise_objects(session: Session) -> None:
    team, partner = make_team(session, "HOME"), make_team(session, "PEER")
    play = make_collection(session, partner, "Play", kind=CollectionKind.EXERCISE)
    live = make_collection(session, partner, "Live")
    for collection in (play, live):
        make_grant(session, collection, team, max_tlp=Tlp.AMBER)
    drill = indicator(tlp=Tlp.GREEN)
    real = indicator(tlp=Tlp.GREEN, value="198.51.100.9")
    assert _add(session, play, partner.id, drill) == {drill["id"]: "ok"}
    assert _add(session, live, partner.id, real) == {real["id"]: "ok"}
    user = make_user(session, team, Role.ANALYST)
    shown = activity.summarise(session, user, "Accord hub")
    assert [row.stix_id for _, row, _ in shown.recent] == [real["id"]]
    assert sum(number for *_, number in shown.by_partner) == 1


@pytest.mark.parametrize(("kind", "level"), [("taxii21-pull", "red"), ("taxii21-push", "red"),
                                             ("list", "red"), ("taxii21-pull", "amber+strict")])
def test_feed_settings_that_would_sync_red_or_others_strict_are_refused(
        app: Flask, session: Session, kind: str, level: str) -> None:
    team = make_team(session, "FEEDS")
    collection = make_collection(session, team, "Feeds", allows_red=True)
    settings = {"url": "http://127.0.0.1:9/taxii2/", "collection": str(uuid.uuid4())} \
        if kind != "list" else {"url": "http://127.0.0.1:9/blocklist.txt"}
    with pytest.raises(BadRequest, match=re.escape(f"max_tlp: {level} is not allowed")):
        sources.create_feed(session, app, name="f", kind=kind, collection=str(collection.id),
                            partner_team=team.name, settings=settings, max_tlp=level)
