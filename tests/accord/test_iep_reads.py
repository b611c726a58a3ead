"""IEP 2.0 on every read path: validity/retention and ``attribution: must-not`` (issue 17).

A matrix of every read endpoint × reader (the source team's analyst, a partner's analyst and
its service account): before the policy's ``end_date`` everybody sees the object; after it
(the hub clock moved, no sleeping) only the source team does, marked "expired for
recipients". A source hidden by ``attribution: must-not`` appears on no endpoint a partner
reads: no team name, no identity, no user; the hub is named instead. The first test fails
when a new read endpoint appears that this matrix does not cover.
See docs/sharing-rules.md "IEP 2.0 policies".
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.agreements import Agreement
from accord.models.stix import StixObject
from accord.sharing.attribution import hub_identity_id
from tests.accord import iep_scene
from tests.accord.iep_scene import SOURCE_TEAM, Probe, Reader, Scene, build, iep_indicator
from tests.taxii.wire import bearer

# Every endpoint that serves stored objects, or counts of them, and its probe.
READ_ENDPOINTS: dict[str, Probe] = {
    "taxii.taxii_objects.get_objects": iep_scene.taxii_objects,
    "taxii.taxii_objects.get_object": iep_scene.taxii_object,
    "taxii.taxii_objects.get_versions": iep_scene.taxii_versions,
    "taxii.taxii_objects.get_manifest": iep_scene.taxii_manifest,
    "api.objects.search": iep_scene.api_search,
    "api.objects.detail": iep_scene.api_detail,
    "web.collections.objects": iep_scene.web_browse,
    "web.collections.show": iep_scene.web_object,
    "web.collections.index": iep_scene.web_collections,
    "web.home.dashboard": iep_scene.web_dashboard,
}
# Endpoints the discovery below finds that serve no stored object (with the reason).
NOT_OBJECT_READS = {
    "taxii.taxii_resources.collections": "collection resources: titles and rights only",
    "taxii.taxii_resources.collection": "one collection resource",
    "web.admin.collection_list": "administrators' list of collections, no objects",
}
COUNT_ONLY = {"web.collections.index"}  # shows how many, not which
PARTNER_PANELS = {"web.home.dashboard"}  # lists only other teams' objects


def _discovered(app: Flask) -> set[str]:
    """GET endpoints whose URL names a collection, an object or a search, or the dashboard."""
    words = ("collection", "object", "stix", "search", "manifest", "version")
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or set()) and not rule.endpoint.endswith("static")
            and (rule.rule == "/" or any(word in rule.rule for word in words))}


def test_every_object_read_endpoint_is_in_the_iep_matrix(app: Flask) -> None:
    assert _discovered(app) == set(READ_ENDPOINTS) | set(NOT_OBJECT_READS)


def _readers(scene: Scene, endpoint: str) -> list[Reader]:
    return [reader for reader in scene.readers.values()
            if not (endpoint.startswith("web.") and reader.name.endswith("service"))]


def test_after_end_date_only_the_source_team_sees_the_version(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session)
    before = {(endpoint, reader.name): probe(scene, reader, scene.hidden)
              for endpoint, probe in READ_ENDPOINTS.items()
              for reader in _readers(scene, endpoint)}
    for (endpoint, name), seen in before.items():
        if endpoint not in COUNT_ONLY and not (endpoint in PARTNER_PANELS and name == "source"):
            assert scene.hidden in seen.ids, f"{endpoint} hides it from {name} too early"
    clock.advance(scene.end - clock.now() + timedelta(seconds=1))
    for endpoint, probe in READ_ENDPOINTS.items():
        for reader in _readers(scene, endpoint):
            seen = probe(scene, reader, scene.hidden)
            old = before[(endpoint, reader.name)]
            if reader.name == "source":
                assert seen.ids == old.ids and seen.count == old.count, endpoint
                continue
            assert scene.hidden not in seen.ids, f"{endpoint} still serves it to {reader.name}"
            if old.count is not None:
                assert seen.count == old.count - 1, f"{endpoint} still counts it"
            if endpoint not in COUNT_ONLY:  # the plain object is unaffected
                assert scene.plain in probe(scene, reader, scene.plain).ids, endpoint


def test_the_source_team_sees_its_expired_version_marked(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session)
    clock.advance(scene.end - clock.now() + timedelta(seconds=1))
    source = scene.readers["source"]
    assert "expired for recipients" in iep_scene.web_object(scene, source, scene.hidden).text
    browse = iep_scene.web_browse(scene, source, scene.hidden).text
    assert browse.count("expired for recipients") == 1  # the hidden one, not the plain one
    detail = json.loads(iep_scene.api_detail(scene, source, scene.hidden).text)
    assert detail["versions"][0]["expired_for_recipients"] is True
    assert detail["versions"][0]["policy"]["expired_for_recipients"] is True


def test_retention_of_an_agreement_expires_versions_for_recipients(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, with_plain=False)
    agreement = Agreement(title="Fight crime", purpose="information sharing to fight crime",
                          owner_team_id=scene.source.id, retention_days=30,
                          starts_at=clock.now() - timedelta(days=1))
    session.add(agreement)
    session.flush()
    scene.collection.agreement_id = agreement.id
    session.commit()
    kept = iep_indicator("203.0.113.9", marked=False)
    scene.share(session, [kept])
    partner = scene.readers["partner"]
    assert kept["id"] in iep_scene.taxii_objects(scene, partner, kept["id"]).ids
    clock.advance(days=30, seconds=1)
    for endpoint, probe in READ_ENDPOINTS.items():
        if endpoint not in COUNT_ONLY:
            assert kept["id"] not in probe(scene, partner, kept["id"]).ids, endpoint
    assert kept["id"] in iep_scene.taxii_objects(scene, scene.readers["source"], "").ids


def test_an_expired_newest_version_leaves_the_previous_one_as_last(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, end_in=timedelta(days=400))
    stix_id = "indicator--9a1f0c2e-5d4b-4e3a-8b7c-6d5e4f3a2b1c"
    scene.share(session, [iep_indicator("203.0.113.20", marked=False, stix_id=stix_id)])
    newer = iep_indicator("203.0.113.20", marked=True, stix_id=stix_id,
                          modified="2026-11-05T08:00:00.000Z")
    scene.share(session, [newer])
    partner = scene.readers["partner"]
    path = f"/taxii2/api/collections/{scene.collection.id}/objects/{stix_id}/"
    headers = {"Authorization": bearer(partner.secret), "Accept": iep_scene.TAXII}
    served = partner.web.get(path, headers=headers).get_json()["objects"]
    assert [obj["modified"] for obj in served] == ["2026-11-05T08:00:00.000Z"]
    clock.advance(days=401)
    served = partner.web.get(path, headers=headers).get_json()["objects"]
    assert [obj["modified"] for obj in served] == ["2026-11-01T08:00:00.000Z"]


def test_next_keeps_working_when_a_version_expires_between_pages(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, with_plain=False)
    later = [iep_indicator(f"203.0.113.{n}", marked=False) for n in (30, 31)]
    scene.share(session, later)
    partner = scene.readers["partner"]
    headers = {"Authorization": bearer(partner.secret), "Accept": iep_scene.TAXII}
    base = f"/taxii2/api/collections/{scene.collection.id}/objects/"
    first = partner.web.get(f"{base}?limit=2", headers=headers).get_json()
    assert [obj["id"] for obj in first["objects"]][1] == scene.hidden and first["more"]
    clock.advance(scene.end - clock.now() + timedelta(seconds=1))
    rest = partner.web.get(f"{base}?limit=2&next={first['next']}", headers=headers)
    assert rest.status_code == 200
    assert [obj["id"] for obj in rest.get_json()["objects"]] == [obj["id"] for obj in later]
    again = partner.web.get(f"{base}?limit=2", headers=headers).get_json()
    assert scene.hidden not in [obj["id"] for obj in again["objects"]]


def test_a_hidden_source_is_named_on_no_endpoint_a_partner_reads(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, with_plain=False)
    hub_name, hub_id = app.config["HUB_NAME"], hub_identity_id(app.config["HUB_NAME"])
    identity = scene.source.identity_id
    assert identity
    for endpoint, probe in READ_ENDPOINTS.items():
        for reader in _readers(scene, endpoint):
            text = probe(scene, reader, scene.hidden).text
            if reader.name == "source":
                assert hub_id not in text, f"{endpoint} rewrote the source's own view"
                continue
            for secret in (SOURCE_TEAM, identity, "source-user"):
                assert secret not in text, f"{endpoint} names the source ({secret}) to " \
                                           f"{reader.name}"
    partner, source = scene.readers["partner"], scene.readers["source"]
    for probe in (iep_scene.taxii_objects, iep_scene.taxii_object):
        for reader in (partner, scene.readers["partner service"]):
            served = {obj["id"]: obj for obj in json.loads(
                probe(scene, reader, scene.hidden).text)["objects"]}
            assert served[scene.hidden]["created_by_ref"] == hub_id
    page = iep_scene.web_object(scene, partner, scene.hidden).text
    assert hub_name in page and "withheld (IEP attribution: must-not)" in page
    assert SOURCE_TEAM in iep_scene.web_object(scene, source, scene.hidden).text
    detail = json.loads(iep_scene.api_detail(scene, partner, scene.hidden).text)["versions"][0]
    assert (detail["source_team"], detail["shared_by"], detail["source_withheld"]) == (
        hub_name, None, True)
    statements = {item["name"]: item for item in detail["policy"]["statements"]}
    for name in ("unmodified_resale", "affected_party_notifications", "encrypt_in_transit",
                 "permitted_actions", "end_date"):
        assert statements[name]["prominent"] is True, name
    assert detail["object"]["created_by_ref"] == hub_id
    assert hub_name in iep_scene.web_dashboard(scene, partner, "").text


def test_source_filters_and_text_search_do_not_select_a_hidden_source(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, with_plain=False)
    partner, source = scene.readers["partner"], scene.readers["source"]
    base = f"/collections/{scene.collection.id}/"
    by_team = f"{base}?team={scene.source.id}"
    assert scene.hidden not in iep_scene.LINK.findall(partner.web.get(by_team).get_data(
        as_text=True))
    assert scene.hidden in iep_scene.LINK.findall(source.web.get(by_team).get_data(
        as_text=True))
    # The identity part of the origin, as a search needle, would otherwise select it.
    needle = (scene.source.identity_id or "")[-12:]
    by_identity = f"{base}?q={needle}"
    assert scene.hidden not in iep_scene.LINK.findall(partner.web.get(by_identity).get_data(
        as_text=True))
    assert f'value="{scene.source.id}"' not in partner.web.get(base).get_data(as_text=True)
    api = f"/api/v1/collections/{scene.collection.id}/objects?team={scene.source.id}"
    headers = {"Authorization": bearer(partner.secret)}
    assert partner.web.get(api, headers=headers).get_json()["objects"] == []


def test_documents_without_a_hiding_policy_are_served_verbatim(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session)
    stored = session.scalar(select(StixObject.document).where(
        StixObject.stix_id == scene.plain))
    partner = scene.readers["partner"]
    body = iep_scene.taxii_object(scene, partner, scene.plain).text
    assert stored is not None and stored in body


def test_the_api_object_endpoints_answer_bad_input_with_a_clear_4xx(
        app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, with_plain=False)
    partner = scene.readers["partner"]
    headers = {"Authorization": bearer(partner.secret)}
    base = f"/api/v1/collections/{scene.collection.id}/objects"
    for path, status, words in (
            (f"{base}?limit=0", 400, "limit"), (f"{base}?before=yesterday", 400, "before"),
            (f"{base}?team=nobody", 400, "team"),
            (f"/api/v1/collections/{uuid.uuid4()}/objects", 404, "no collection"),
            ("/api/v1/collections/not-an-id/objects", 404, "no collection"),
            (f"{base}/indicator--{uuid.uuid4()}", 404, "no object")):
        response = partner.web.get(path, headers=headers)
        assert response.status_code == status, path
        assert words in response.get_data(as_text=True), path
    assert partner.web.get(base).status_code == 401
