"""Each 5xx of issue 12 is a 4xx with a reason now: TAXII error resources on TAXII, JSON on the
API, a page on the web; a bad object is one failure and the objects beside it are stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.models.stix import StixObject
from accord.models.users import ApiToken, Role
from accord.sharing.validation import _pattern_shape_error, pattern_error
from feeds.models import FeedSource
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.web.helpers import csrf_from, sign_in

TAXII = "application/taxii+json;version=2.1"
NESTED_PATTERN = "(" * 500 + "[ipv4-addr:value = '198.51.100.1']" + ")" * 500
DEEP_JSON = "[" * 5000 + "]" * 5000
DEEP_YAML = "[" * 5000 + "]" * 5000
ALIAS_BOMB = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]\n" for n in range(1, 9))


class Hub:
    """A team with an admin and a coordinator (tokens), one collection, and a signed-in admin
    browser made on first use (signing in hashes a password, which is slow on purpose)."""

    def __init__(self, app: Flask, collection: str, admin: str, coordinator: str) -> None:
        self.client = app.test_client()
        self.collection = collection
        self.admin = {"Authorization": f"Bearer {admin}"}
        self.coordinator = {"Authorization": f"Bearer {coordinator}"}
        self._csrf = ""

    @property
    def csrf(self) -> str:
        """Sign the client in as the admin (once) and return the form token."""
        if not self._csrf:
            sign_in(self.client, "root")
            self._csrf = csrf_from(self.client.get("/tokens/"))
        return self._csrf


@pytest.fixture
def hub(app: Flask, session: Session) -> Hub:
    team = make_team(session, "Lotus CERT")
    make_team(session, "Baltic CERT")
    admin = make_user(session, team, Role.ADMIN, "root")
    coordinator = make_user(session, team, Role.COORDINATOR, "excon")
    collection = make_collection(session, team, "Shared")
    make_grant(session, collection, team, read=True, write=True)
    return Hub(app, str(collection.id), make_token(session, admin, ("read", "write", "admin"))[1],
               make_token(session, coordinator)[1])


def indicator(pattern: str, octet: int = 1) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "valid_from": "2026-01-01T00:00:00Z", "pattern_type": "stix", "pattern": pattern}


def stored(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(StixObject)) or 0)


def page(response: Any) -> str:
    return str(response.get_data(as_text=True))


# 1. Patterns stix2-patterns cannot judge

def test_patterns_the_validator_chokes_on_fail_alone(hub: Hub, session: Session) -> None:
    good = indicator("[ipv4-addr:value = '198.51.100.7']")
    envelope = {"objects": [indicator(""), good, indicator(NESTED_PATTERN)]}
    response = hub.client.post(f"/taxii2/api/collections/{hub.collection}/objects/",
                               data=json.dumps(envelope), headers={
                                   **hub.admin, "Content-Type": TAXII, "Accept": TAXII})
    assert response.status_code == 202, page(response)
    status = response.get_json()
    assert (status["success_count"], status["failure_count"]) == (1, 2)
    reasons = sorted(failure["message"] for failure in status["failures"])
    assert reasons == ["pattern: the pattern could not be checked (UnboundLocalError)",
                       "pattern: the pattern is nested too deeply to check"]
    assert stored(session) == 1


def test_a_validator_crash_is_memoised_like_any_verdict() -> None:
    _pattern_shape_error.cache_clear()
    for _ in range(3):
        assert pattern_error(NESTED_PATTERN) == "the pattern is nested too deeply to check"
    info = _pattern_shape_error.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_share_page_stores_the_good_object_beside_a_choking_pattern(hub: Hub,
                                                                    session: Session) -> None:
    bundle = json.dumps({"type": "bundle", "objects": [
        indicator(""), indicator("[ipv4-addr:value = '198.51.100.8']")]})
    response = hub.client.post("/share/bundle", data={
        "csrf_token": hub.csrf, "collection": hub.collection, "bundle": bundle})
    assert response.status_code == 200
    assert "could not be checked (UnboundLocalError)" in page(response)
    assert stored(session) == 1


# 2. Token lifetimes

@pytest.mark.parametrize("days", ["1e9", "1e308", "inf", "nan", "-inf", "²", "3651"])
def test_token_lifetimes_out_of_range_are_400(hub: Hub, session: Session, days: str) -> None:
    response = hub.client.post("/tokens/", data={"csrf_token": hub.csrf, "name": "t",
                                                 "scope_read": "on", "expires_days": days})
    assert response.status_code == 400
    assert "expires_days: " in page(response)
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 2  # the fixture's


def test_a_ten_year_token_is_still_fine(hub: Hub) -> None:
    response = hub.client.post("/tokens/", data={"csrf_token": hub.csrf, "name": "t",
                                                 "scope_read": "on", "expires_days": "3650"})
    assert response.status_code == 200 and "acd_" in page(response)


# 3. Deep nesting, 4. lone surrogates, NaN: one reader for API and web bodies

@pytest.mark.parametrize(("body", "reason"), [
    (DEEP_JSON, "the request body is not valid JSON: nested too deeply"),
    ('{"a":' * 70 + "1" + "}" * 70, "the request body: nested deeper than 64 levels"),
    ('{"name": "\\ud800"}', "the request body: contains a lone UTF-16 surrogate"),
    ('{"name": "a\\u0000b"}', "the request body: contains a NUL character"),
    ('{"interval": NaN}', "NaN is not a JSON number"),
    ('{"interval": 1e999}', "1e999 is out of range for a JSON number"),
    ('{"interval": 1' + "0" * 200 + "}", "a number has more than 100 digits"),
])
@pytest.mark.parametrize("path", ["/api/v1/feeds", "/api/v1/exercises",
                                  "/api/v1/exercises/some-run/cancel"])
def test_api_bodies_are_read_strictly(hub: Hub, path: str, body: str, reason: str) -> None:
    headers = hub.admin if "feeds" in path else hub.coordinator
    response = hub.client.post(path, data=body.encode("utf-8", "surrogatepass"),
                               headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400, page(response)
    assert reason in response.get_json()["message"]


def test_api_bodies_of_another_media_type_are_415(hub: Hub) -> None:
    response = hub.client.post("/api/v1/feeds", data="name=x", headers={
        **hub.admin, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and "application/json" in response.get_json()["message"]


@pytest.mark.parametrize(("fmt", "text", "reason"), [
    ("json", DEEP_JSON, "not valid JSON: nested too deeply"),
    ("yaml", DEEP_YAML, "nested deeper than 64 levels"),
    ("yaml", 'title: "\\ud800"', "contains a lone UTF-16 surrogate"),
    ("json", '{"title": "\\ud800"}', "contains a lone UTF-16 surrogate"),
    ("yaml", 'title: "a\\0b"', "contains a NUL character"),
    ("yaml", ALIAS_BOMB, "aliases expand the document beyond 100000 values"),
    ("yaml", "loop: &loop [*loop]", "alias *loop refers to a node that contains it"),
    ("yaml", "".join(f"k{n}: &a{n} x\n" for n in range(101)) + "refs: [" +
     ",".join(f"*a{n}" for n in range(101)) + "]", "more than 100 aliases"),
])
def test_scenarios_deep_unstorable_or_alias_bombs_are_refused(hub: Hub, fmt: str, text: str,
                                                               reason: str) -> None:
    for path, status in (("/api/v1/exercises/scenarios/validate", 200),
                         ("/api/v1/exercises/scenarios", 422)):
        response = hub.client.post(f"{path}?format={fmt}", data=text.encode(
            "utf-8", "surrogatepass"), headers=hub.coordinator)
        assert response.status_code == status, page(response)
        data = response.get_json()
        assert data["valid"] is False and reason in data["errors"][0]["message"], data


def test_a_few_yaml_aliases_are_fine(hub: Hub) -> None:
    text = "title: &t Harbour\nversion: '1'\ndescription: *t\n"
    response = hub.client.post("/api/v1/exercises/scenarios/validate?format=yaml",
                               data=text, headers=hub.coordinator)
    errors = response.get_json()["errors"]
    assert not any("alias" in error["message"] for error in errors), errors


@pytest.mark.parametrize(("bundle", "reason"), [
    (DEEP_JSON, "bundle: the input is not valid JSON: nested too deeply"),
    ('{"objects": [NaN]}', "bundle: the input is not valid JSON: NaN is not a JSON number"),
])
def test_share_page_refuses_deep_or_non_json_bundles(hub: Hub, bundle: str, reason: str) -> None:
    response = hub.client.post("/share/bundle", data={
        "csrf_token": hub.csrf, "collection": hub.collection, "bundle": bundle})
    assert response.status_code == 400 and reason in page(response)


def _with_surrogate(where: str) -> str:
    """An indicator as JSON text with a ``\\ud800`` escape in its id, type, a value or a key."""
    obj = indicator("[ipv4-addr:value = '198.51.100.9']")
    text = json.dumps(obj)
    if where in ("id", "type"):
        return text.replace(json.dumps(obj[where]), '"indicator--\\ud800"')
    return text[:-1] + (', "name": "\\ud800"}' if where == "value" else ', "\\ud800": "k"}')


@pytest.mark.parametrize("where", ["id", "type", "value", "key"])
def test_share_page_fails_only_the_object_with_a_lone_surrogate(hub: Hub, session: Session,
                                                                 where: str) -> None:
    good = json.dumps(indicator("[ipv4-addr:value = '198.51.100.10']"))
    response = hub.client.post("/share/bundle", data={
        "csrf_token": hub.csrf, "collection": hub.collection,
        "bundle": '{"objects": [' + _with_surrogate(where) + ", " + good + "]}"})
    assert response.status_code == 200, page(response)
    assert "1 stored" in page(response) and "1 failed" in page(response)
    assert stored(session) == 1


# 5. Far dates, odd digits, huge intervals

def test_search_to_the_last_day_of_the_calendar(hub: Hub, session: Session) -> None:
    hub.client.post("/share/bundle", data={
        "csrf_token": hub.csrf, "collection": hub.collection,
        "bundle": json.dumps([indicator("[ipv4-addr:value = '198.51.100.11']")])})
    response = hub.client.get(f"/collections/{hub.collection}/?to=9999-12-31&from=0001-01-01")
    assert response.status_code == 200 and "198.51.100.11" in page(response)
    for query in ("to=10000-01-01", "from=9999-99-99"):
        assert hub.client.get(f"/collections/{hub.collection}/?{query}").status_code == 400


def test_audit_page_dates_and_page_numbers(hub: Hub) -> None:
    assert hub.csrf  # signed in as the admin
    assert hub.client.get("/admin/audit/?until=9999-12-31").status_code == 200
    for query in ("until=99999-01-01", "page=1" + "0" * 30, "page=²", "page=0"):
        assert hub.client.get(f"/admin/audit/?{query}").status_code == 400, query


def _feed(hub: Hub, **fields: Any) -> Any:
    body = {"name": "pull", "kind": "taxii21-pull", "collection": hub.collection,
            "partner_team": "Baltic CERT",
            "settings": {"url": "http://127.0.0.1:9/taxii2/api/collections/x/",
                         "collection": "x"}, **fields}
    return hub.client.post("/api/v1/feeds", json=body, headers=hub.admin)


@pytest.mark.parametrize(("fields", "reason"), [
    ({"interval": 1e20}, "interval: must be a whole number of seconds"),
    ({"interval": 10 ** 20}, "interval: must be at least 10 and at most 31622400"),
    ({"interval": True}, "interval: must be a whole number of seconds"),
    ({"settings": {"url": "http://127.0.0.1:9/", "collection": "x", "timeout": 1e300}},
     "timeout: must be at most 3600"),
    ({"settings": {"url": "http://127.0.0.1:9/", "collection": "x", "page_size": 10 ** 30}},
     "page_size: must be at most 10000"),
])
def test_feed_numbers_out_of_range_are_400(hub: Hub, session: Session, fields: dict[str, Any],
                                           reason: str) -> None:
    response = _feed(hub, **fields)
    assert response.status_code == 400 and reason in response.get_json()["message"]
    assert session.scalar(select(func.count()).select_from(FeedSource)) == 0


def test_feed_runs_limit_takes_ascii_digits_only(hub: Hub) -> None:
    assert _feed(hub, interval=60).status_code == 201
    assert hub.client.get("/api/v1/feeds/pull/runs?limit=20", headers=hub.admin).status_code == 200
    for limit in ("²", "٣", "0", "501", "1e3", "-1"):
        response = hub.client.get(f"/api/v1/feeds/pull/runs?limit={limit}", headers=hub.admin)
        assert response.status_code == 400 and response.get_json()["message"].startswith(
            "limit: "), limit


@pytest.mark.parametrize(("start", "reason"), [
    ("9999-12-31T23:00:00Z", "start: must be before the year 3000"),
    ("0001-01-01T00:00:00+01:00", "is out of range"),
])
def test_exercise_starts_beyond_the_calendar_are_400(hub: Hub, start: str, reason: str) -> None:
    response = hub.client.post("/api/v1/exercises", json={
        "scenario": "x", "name": "late", "start": start}, headers=hub.coordinator)
    assert response.status_code == 400 and reason in response.get_json()["message"]


# 6. NUL characters (PostgreSQL text cannot hold them; SQLite runs the same checks)

@pytest.mark.parametrize(("method", "url", "data", "field"), [
    ("GET", "/collections/{collection}/objects/indicator--%00", None, "path (stix_id)"),
    ("GET", "/collections/{collection}/?type=a%00b", None, "type"),
    ("GET", "/collections/{collection}/?q=%00", None, "q"),
    ("POST", "/admin/teams", {"name": "a\x00b", "country_code": "FR"}, "name"),
    ("POST", "/admin/users/a%00b/deactivate", {}, "path (username)"),
    ("POST", "/admin/collections/{collection}/grants", {"team": "a\x00b"}, "team"),
    ("POST", "/tokens/a%00b/revoke", {}, "path (token_id)"),
    ("GET", "/exercises/a%00b", None, "path (ref)"),
])
def test_nul_in_web_paths_queries_and_forms_is_400(hub: Hub, method: str, url: str,
                                                   data: dict[str, str] | None,
                                                   field: str) -> None:
    csrf = hub.csrf  # signed in as the admin
    form = None if data is None else {"csrf_token": csrf, **data}
    response = hub.client.open(url.format(collection=hub.collection), method=method, data=form,
                               headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert f"{field}: contains a NUL character" in page(response)


@pytest.mark.parametrize("url", ["/api/v1/exercises/a%00b", "/api/v1/exercises/scenarios/%00",
                                 "/api/v1/feeds/%00", "/api/v1/exercises?x=%00"])
def test_nul_in_api_paths_is_400_json(hub: Hub, url: str) -> None:
    response = hub.client.get(url, headers=hub.admin)
    assert response.status_code == 400 and "contains a NUL character" in \
        response.get_json()["message"]


def test_nul_in_taxii_paths_is_a_taxii_error(hub: Hub) -> None:
    response = hub.client.get(f"/taxii2/api/collections/{hub.collection}/objects/a%00b/",
                              headers={**hub.admin, "Accept": TAXII})
    assert response.status_code == 400 and response.mimetype == "application/taxii+json"
    assert response.get_json()["description"] == "path (object_id): contains a NUL character"
