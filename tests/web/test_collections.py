"""Collections, object search, object pages and the share page through the test client (issue 6).

TLP is access control on every one of them: what a team may not see is in no list, count,
search result or page, and a team without a grant gets 404s.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from accord.sharing.validation import validation_error
from accord.sharing.values import quote
from accord.tlp import Tlp, marking_ref
from tests.factories import make_collection
from tests.taxii.conftest import indicator
from tests.web.helpers import csrf_from, sign_in
from tests.web.sharing_data import AMBER_IP, GREEN_IP, STRICT_IP, World, build, store

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.fixture
def world(session: Session) -> World:
    return build(session)


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, username)
    return client


def _count_cell(page: str, world: World) -> str:
    match = re.search(rf'data-count="{world.collection.id}">([^<]*)<', page)
    assert match, "collection row missing"
    return match.group(1)


def _objects_url(world: World) -> str:
    return f"/collections/{world.collection.id}/"


def _object_url(world: World, stix_id: str) -> str:
    return f"/collections/{world.collection.id}/objects/{stix_id}"


def _stored(session: Session, world: World) -> int:
    return int(session.scalar(select(func.count()).select_from(StixObject)
                              .where(StixObject.collection_id == world.collection.id)) or 0)


@pytest.mark.parametrize(("username", "count", "seen", "hidden"), [
    ("lan", "3", (GREEN_IP, AMBER_IP, STRICT_IP), ()),
    ("kristjan", "2", (GREEN_IP, AMBER_IP), (STRICT_IP,)),
    ("kenji", "1", (GREEN_IP,), (AMBER_IP, STRICT_IP)),
])
def test_list_and_browse_show_only_what_the_grant_allows(
        app: Flask, world: World, username: str, count: str, seen: tuple[str, ...],
        hidden: tuple[str, ...]) -> None:
    client = _client(app, username)
    listing = client.get("/collections/").get_data(as_text=True)
    assert "ASEAN indicators" in listing and _count_cell(listing, world) == count
    page = client.get(_objects_url(world)).get_data(as_text=True)
    assert f"{count} object" in page
    for value in seen:
        assert value in page
    for value in hidden:
        assert value not in page
        # Searching for it finds nothing, and says so with a zero count.
        result = client.get(_objects_url(world), query_string={"q": value})
        assert result.status_code == 200
        assert "0 objects match." in result.get_data(as_text=True)
        assert value not in result.get_data(as_text=True).split('id="result-count"', 1)[1]


def test_filter_choices_never_name_hidden_types_or_teams(app: Flask, session: Session,
                                                         world: World) -> None:
    strict_report = {"type": "report", "spec_version": "2.1", "id": "report--" + "1" * 8 +
                     "-1111-4111-8111-" + "1" * 12, "created": "2026-11-02T08:00:00.000Z",
                     "modified": "2026-11-02T08:00:00.000Z", "name": "Hidden campaign",
                     "published": "2026-11-02T08:00:00Z", "object_refs": [world.objects[
                         "strict"]["id"]], "object_marking_refs": [marking_ref(Tlp.AMBER_STRICT)]}
    store(session, world.collection, world.users["kristjan"], indicator("192.0.2.99", Tlp.AMBER))
    store(session, world.collection, world.users["lan"], strict_report)
    page = _client(app, "kenji").get(_objects_url(world)).get_data(as_text=True)
    assert ">report<" not in page and "CERT-EE" not in page and "Hidden campaign" not in page
    partner = _client(app, "kristjan").get(_objects_url(world)).get_data(as_text=True)
    assert "CERT-EE" in partner and ">report<" not in partner


def test_search_by_text_type_tlp_team_and_date(app: Flask, session: Session,
                                               world: World) -> None:
    store(session, world.collection, world.users["kristjan"],
          indicator("evil.example", Tlp.GREEN, pattern="[domain-name:value = 'evil.example']"))
    client = _client(app, "kristjan")

    def found(**query: str) -> str:
        response = client.get(_objects_url(world), query_string=query)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        match = re.search(r'id="result-count">(\d+) object', text)
        assert match
        return match.group(1)

    assert found(q="203.0.113") == "1"
    assert found(q="EVIL.example") == "1"  # case-insensitive
    assert found(q="[domain-name:value = 'evil") == "1"  # pattern text, quotes and all
    assert found(q="%") == "0"  # LIKE wildcards are literal
    assert found(type="indicator") == "3" and found(type="report") == "0"
    assert found(tlp="green") == "2" and found(tlp="amber") == "1"
    assert found(tlp="amber+strict") == "0"
    assert found(team=str(world.partner.id)) == "1" and found(team=str(world.owner.id)) == "2"
    today = datetime.now(UTC).date()
    assert found(**{"from": today.isoformat(), "to": today.isoformat()}) == "3"
    assert found(**{"from": (today + timedelta(days=1)).isoformat()}) == "0"
    assert found(**{"to": (today - timedelta(days=1)).isoformat()}) == "0"
    for bad in ({"from": "yesterday"}, {"tlp": "purple"}, {"team": "x"}, {"before": "soon"},
                {"q": "x" * 201}):
        response = client.get(_objects_url(world), query_string=bad)
        assert response.status_code == 400, bad
        assert next(iter(bad)) in response.get_data(as_text=True)


def test_pages_of_fifty_never_repeat_or_skip(app: Flask, session: Session,
                                             world: World) -> None:
    store(session, world.collection, world.users["lan"],
          *(indicator(f"10.0.{n // 250}.{n % 250}", Tlp.GREEN) for n in range(117)))
    client = _client(app, "kenji")
    seen: list[str] = []
    url: str | None = _objects_url(world)
    pages = 0
    while url:
        text = client.get(url).get_data(as_text=True)
        assert "118 objects." in text
        rows = re.findall(r'/objects/(indicator--[0-9a-f-]+)"', text)
        assert len(rows) <= 50
        seen.extend(rows)
        pages += 1
        older = re.search(r'href="([^"]+)" rel="next"', text)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert pages == 3 and len(seen) == 118 == len(set(seen))
    newer = re.search(r'href="([^"]+)" rel="prev"', text)
    assert newer
    back = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.findall(r'/objects/(indicator--[0-9a-f-]+)"', back) == seen[50:100]


def test_object_page_lists_visible_versions_with_provenance(app: Flask, session: Session,
                                                            world: World) -> None:
    first = world.objects["green"]
    second = {**first, "modified": "2026-11-03T08:00:00.000Z", "name": "Escalated host",
              "object_marking_refs": [marking_ref(Tlp.AMBER)]}
    store(session, world.collection, world.users["lan"], second)
    partner = _client(app, "kristjan").get(_object_url(world, first["id"]))
    text = partner.get_data(as_text=True)
    assert partner.status_code == 200
    assert "2 versions your team may see" in text and "Escalated host" in text
    assert "2026-11-03T08:00:00.000000Z" in text and "2026-11-01T08:00:00.000000Z" in text
    assert "CERT-VN" in text and ">lan<" in text and "TLP:AMBER" in text
    assert "&#34;pattern&#34;: &#34;[ipv4-addr:value" in text  # pretty-printed JSON
    low = _client(app, "kenji").get(_object_url(world, first["id"])).get_data(as_text=True)
    assert "1 version your team may see" in low and "Escalated host" not in low
    events = list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "web.read.object")))
    assert {event.actor_name for event in events} == {"kristjan", "kenji"}
    assert all(event.target_id == str(world.collection.id) for event in events)


def test_hidden_objects_and_collections_are_404(app: Flask, world: World) -> None:
    low = _client(app, "kenji")
    assert low.get(_object_url(world, world.objects["amber"]["id"])).status_code == 404
    assert low.get(_object_url(world, "indicator--nope")).status_code == 404
    outsider = _client(app, "pierre")
    assert "ASEAN indicators" not in outsider.get("/collections/").get_data(as_text=True)
    assert "ASEAN indicators" not in outsider.get("/").get_data(as_text=True)
    for url in (_objects_url(world), _object_url(world, world.objects["green"]["id"]),
                "/collections/not-a-uuid/"):
        response = outsider.get(url)
        assert response.status_code == 404
        assert GREEN_IP not in response.get_data(as_text=True)
    writer = _client(app, "minji")
    assert _count_cell(writer.get("/collections/").get_data(as_text=True), world) == "—"
    assert writer.get(_objects_url(world)).status_code == 403


def test_browse_reads_are_audited(app: Flask, session: Session, world: World) -> None:
    _client(app, "kenji").get(_objects_url(world), query_string={"q": "198."})
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "web.read.objects"))
    assert event is not None and event.actor_name == "kenji" and event.team_name == "CERT-JP"
    assert event.details["objects"] == 1 and event.details["tlp"] == ["green"]
    assert event.details["search"] == {"q": "198."}


def test_dashboard_shows_partner_activity_within_tlp(app: Flask, world: World) -> None:
    low = _client(app, "kenji").get("/").get_data(as_text=True)
    assert "What partners shared" in low and GREEN_IP in low
    assert AMBER_IP not in low and STRICT_IP not in low and "TLP:AMBER" not in low
    own = _client(app, "lan").get("/").get_data(as_text=True)
    assert "Nothing shared by partners in the last 7 days" in own  # own objects are not partners'
    outsider = _client(app, "pierre").get("/").get_data(as_text=True)
    assert GREEN_IP not in outsider and "No partner objects yet." in outsider


def _share(client: FlaskClient, path: str, **data: object) -> tuple[int, str]:
    token = csrf_from(client.get("/share/"))
    response = client.post(path, data={"csrf_token": token, **data})
    return response.status_code, response.get_data(as_text=True)


def test_share_without_csrf_token_is_refused(app: Flask, session: Session, world: World) -> None:
    client = _client(app, "kristjan")
    before = _stored(session, world)
    for token in ({}, {"csrf_token": "forged"}):
        response = client.post("/share/indicator", data={
            "collection": str(world.collection.id), "value": "192.0.2.1", **token})
        assert response.status_code == 400
        assert "security token" in response.get_data(as_text=True)
    assert _stored(session, world) == before


def test_share_form_builds_a_valid_marked_indicator(app: Flask, session: Session,
                                                    world: World) -> None:
    client = _client(app, "kristjan")
    url = "http://evil.example/a'b\\c"
    status, page = _share(client, "/share/indicator", collection=str(world.collection.id),
                          value=url, type="auto", tlp="green", description="Phishing kit",
                          valid_until=(datetime.now(UTC).date() + timedelta(days=30)).isoformat())
    assert status == 200 and "1 object: 1 stored, 0 duplicates, 0 failed." in page
    row = session.scalar(select(StixObject).where(StixObject.source_team_id == world.partner.id))
    assert row is not None and row.tlp == Tlp.GREEN
    assert row.source_user_id == world.users["kristjan"].id
    document = json.loads(row.document)
    assert validation_error(document) is None
    assert document["pattern"] == f"[url:value = {quote(url)}]" == \
        "[url:value = 'http://evil.example/a\\'b\\\\c']"
    assert document["created_by_ref"] == world.partner.identity_id
    assert document["object_marking_refs"] == [marking_ref(Tlp.GREEN)]
    assert document["description"] == "Phishing kit" and "valid_until" in document
    low = _client(app, "kenji").get(_objects_url(world), query_string={"q": "evil.example/a'b"})
    assert "1 object matches." in low.get_data(as_text=True)


@pytest.mark.parametrize(("value", "kind", "pattern"), [
    ("2001:db8::1", "auto", "[ipv6-addr:value = '2001:db8::1']"),
    ("bad.example", "domain", "[domain-name:value = 'bad.example']"),
    ("D41D8CD98F00B204E9800998ECF8427E", "md5",
     "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "auto",
     "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"),
    (SHA256, "sha256", f"[file:hashes.'SHA-256' = '{SHA256}']"),
])
def test_share_form_patterns(app: Flask, session: Session, world: World, value: str, kind: str,
                             pattern: str) -> None:
    status, page = _share(_client(app, "lan"), "/share/indicator",
                          collection=str(world.collection.id), value=value, type=kind,
                          tlp="clear")
    assert status == 200 and "1 stored" in page
    row = session.scalar(select(StixObject).where(StixObject.tlp == Tlp.CLEAR))
    assert row is not None and json.loads(row.document)["pattern"] == pattern


@pytest.mark.parametrize(("data", "message"), [
    ({"value": ""}, "value: enter"),
    ({"value": "not a value"}, "is not an IP address, CIDR, domain, URL"),
    ({"value": "evil.example", "type": "url"}, "is not a valid URL"),
    ({"value": "198.51.100.7", "type": "sha256"}, "is not a valid SHA-256 hash"),
    ({"value": "198.51.100.7", "type": "email"}, "type: &#39;email&#39; is not one of"),
    ({"value": "198.51.100.7", "tlp": "purple"}, "tlp: unknown TLP level"),
    ({"value": "198.51.100.7", "valid_until": "2001-01-01"}, "valid_until: must be today"),
    ({"value": "198.51.100.7", "valid_until": "soon"}, "valid_until: &#39;soon&#39; is not"),
])
def test_share_form_errors_are_shown_in_place(app: Flask, session: Session, world: World,
                                              data: dict[str, str], message: str) -> None:
    before = _stored(session, world)
    status, page = _share(_client(app, "kristjan"), "/share/indicator",
                          collection=str(world.collection.id), **data)
    assert status == 400 and message in page and 'role="alert"' in page
    assert f'value="{data["value"]}"' in page  # the form keeps what was typed
    assert _stored(session, world) == before


def test_bundle_paste_reports_each_object(app: Flask, session: Session, world: World) -> None:
    fresh = indicator("192.0.2.200", Tlp.GREEN)
    bad_pattern = indicator("192.0.2.201", pattern="[ipv4-addr:value = '192.0.2.201'")
    red = indicator("192.0.2.202", Tlp.RED)
    bundle = {"type": "bundle", "id": "bundle--" + "2" * 8 + "-2222-4222-8222-" + "2" * 12,
              "objects": [fresh, world.objects["amber"], bad_pattern, red, "junk", fresh]}
    status, page = _share(_client(app, "lan"), "/share/bundle",
                          collection=str(world.collection.id), bundle=json.dumps(bundle))
    assert status == 200
    assert "6 objects: 1 stored, 2 duplicates, 3 failed." in page
    results = re.findall(r'<tr><td>.*?<code>([^<]*)</code>.*?state-\w+">(\w+)</span></td>\s*'
                         r'<td>([^<]*)</td>', page, re.S)
    verdicts = [(stix_id, outcome) for stix_id, outcome, _ in results]
    assert verdicts == [(fresh["id"], "stored"), (world.objects["amber"]["id"], "duplicate"),
                        (fresh["id"], "duplicate"), (bad_pattern["id"], "failed"),
                        (red["id"], "failed"), ("(no id)", "failed")]
    reasons = [reason for _, _, reason in results]
    assert reasons[3].startswith("pattern:") and "TLP:RED" in reasons[4]
    assert reasons[5] == "not a JSON object"
    assert _stored(session, world) == 4
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "web.write"))
    assert event is not None and event.details["stored"] == 1 and event.details["failures"] == 3


def test_bundle_upload_and_envelope(app: Flask, session: Session, world: World) -> None:
    client = _client(app, "kristjan")
    token = csrf_from(client.get("/share/"))
    envelope = json.dumps({"objects": [indicator("192.0.2.210", Tlp.AMBER)]}).encode()
    response = client.post("/share/bundle", content_type="multipart/form-data", data={
        "csrf_token": token, "collection": str(world.collection.id),
        "file": (io.BytesIO(envelope), "iocs.json")})
    assert response.status_code == 200
    assert "1 object: 1 stored" in response.get_data(as_text=True)


@pytest.mark.parametrize(("text", "message"), [
    ("", "bundle: paste a STIX bundle"),
    ("{not json", "bundle: the input is not valid JSON"),
    ('{"type": "bundle"}', "with an &#39;objects&#39; list"),
    ("42", "with an &#39;objects&#39; list"),
])
def test_bad_bundles_are_400_in_place(app: Flask, session: Session, world: World, text: str,
                                      message: str) -> None:
    status, page = _share(_client(app, "lan"), "/share/bundle",
                          collection=str(world.collection.id), bundle=text)
    assert status == 400 and message in page


def test_values_do_not_enter_exercise_collections(app: Flask, session: Session,
                                                  world: World) -> None:
    drill = make_collection(session, world.owner, "Drill injects", kind="exercise")
    status, page = _share(_client(app, "lan"), "/share/indicator", collection=str(drill.id),
                          value="192.0.2.9")
    assert status == 409 and "holds exercise data" in page and 'role="alert"' in page


def test_share_needs_a_write_grant(app: Flask, session: Session, world: World) -> None:
    low = _client(app, "kenji")
    assert "ASEAN indicators" not in low.get("/share/").get_data(as_text=True)
    status, _ = _share(low, "/share/indicator", collection=str(world.collection.id),
                       value="192.0.2.5")
    assert status == 403
    status, _ = _share(_client(app, "pierre"), "/share/bundle",
                       collection=str(world.collection.id), bundle="[]")
    assert status == 404
    writer = _client(app, "minji")
    assert "ASEAN indicators" in writer.get("/share/").get_data(as_text=True)
    status, page = _share(writer, "/share/indicator", collection=str(world.collection.id),
                          value="192.0.2.6", tlp="green")
    assert status == 200 and "1 stored" in page
    assert _stored(session, world) == 4
