"""Every TAXII 2.1 error status over real HTTP, each with a TAXII error body (sections 3.1,
3.6.1, 1.6.9, 4.x, 5.x and the DELETE permission table of 5.7)."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.models.stix import StixObject
from accord.models.users import User
from tests.taxii.conformance.conftest import Site, assert_taxii_error
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import TAXII, basic, bearer

READ_PATHS = ["objects/", "manifest/", f"objects/{indicator()['id']}/",
              f"objects/{indicator()['id']}/versions/"]


def stored_count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(StixObject)) or 0)


def post(site: Site, body: object, user: User | None = None, authorization: str | None = None,
         **headers: str) -> requests.Response:
    """POST ``body`` (JSON) to the shared collection's objects endpoint."""
    return site.call("POST", site.path("objects/"), user, authorization, json=body,
                     headers={"Content-Type": TAXII, **headers})


def every_endpoint(site: Site) -> list[tuple[str, str]]:
    """(method, URL) of every TAXII endpoint, for one collection and one object."""
    obj = indicator()["id"]
    return [("GET", f"{site.url}/taxii2/"), ("GET", site.root),
            ("GET", f"{site.root}status/{uuid.uuid4()}/"), ("GET", f"{site.root}collections/"),
            ("GET", site.path()), *[("GET", site.path(rest)) for rest in READ_PATHS],
            ("POST", site.path("objects/")), ("DELETE", site.path(f"objects/{obj}/"))]


@pytest.mark.parametrize("authorization", [
    None, basic("ines", "wrong-password"), basic("nobody"), bearer("acc_" + "x" * 40),
    "Basic !!!not-base64!!!", "Basic " + "aW5lcw==", "Digest username=ines", "Bearer ",
    basic("in\x00es"), basic("ines\x00", "x"), basic("\u00e9" * 300)])
def test_401_without_valid_credentials_everywhere(site: Site, authorization: str | None) -> None:
    """Section 1.6.9: 401 with WWW-Authenticate naming Basic, as a TAXII error."""
    site.app.config.update(LOGIN_FAILURES_PER_USER=1000, LOGIN_FAILURES_PER_ADDRESS=1000)
    for method, url in every_endpoint(site):
        response = site.call(method, url, headers={"Authorization": authorization,
                                                   "Content-Type": TAXII}, json=envelope())
        assert_taxii_error(response, 401)
        assert "Basic" in response.headers["WWW-Authenticate"], (method, url)


def test_403_for_visible_collection_without_the_right(site: Site, session: Session) -> None:
    """Sections 5.4/5.5: a visible collection the grant, scope or role does not allow."""
    denied_writes = [(site.reader, None), (None, bearer(site.read_token)),
                     (site.observer, None), (site.evaluator, None)]
    for user, authorization in denied_writes:
        body = assert_taxii_error(post(site, envelope(indicator()), user, authorization), 403)
        assert body["description"]
    assert stored_count(session) == 0
    for rest in READ_PATHS:
        assert_taxii_error(site.call("GET", site.path(rest), site.writer), 403)
        assert_taxii_error(site.call("GET", site.path(rest),
                                     authorization=bearer(site.write_token)), 403)
    assert post(site, envelope(indicator()), authorization=bearer(site.write_token)
                ).status_code == 202
    assert post(site, envelope(indicator()), site.writer).status_code == 202


def test_collection_flags_match_the_403s(site: Site) -> None:
    """Section 5.2.1: can_read/can_write are this caller's rights."""
    expected = {site.owner: (True, True), site.reader: (True, False),
                site.writer: (False, True), site.observer: (True, False)}
    for user, flags in expected.items():
        body = site.call("GET", site.path(), user).json()
        assert (body["can_read"], body["can_write"]) == flags, user.username


def _without_ids(body: dict[str, str], *ids: str) -> dict[str, str]:
    description = body["description"]
    for value in ids:
        description = description.replace(value, "<id>")
    return {**body, "description": description}


def test_404_for_what_the_caller_cannot_see(site: Site) -> None:
    """Sections 4.1-5.8: unknown roots, collections, objects and statuses are 404s."""
    for url in (f"{site.url}/taxii2/nope/", f"{site.url}/taxii2/nope/collections/",
                f"{site.url}/taxii2/nope/collections/{site.collection.id}/objects/",
                f"{site.url}/taxii2/api/nothing-here/", site.path("objects/x/y/z/"),
                f"{site.root}collections/not-a-uuid/", f"{site.root}collections/{'9' * 5000}/",
                f"{site.root}status/not-a-uuid/", f"{site.root}status/{uuid.uuid4()}/",
                site.path(f"objects/{indicator()['id']}/"), site.path("objects/not-an-id/"),
                site.path(f"objects/{indicator()['id']}/versions/")):
        assert_taxii_error(site.call("GET", url), 404)


def test_foreign_collection_looks_exactly_like_an_unknown_one(site: Site) -> None:
    """Section 1.6.9: a collection without a grant does not leak its existence."""
    unknown = uuid.uuid4()
    for rest in ("", "objects/", "manifest/", f"objects/{indicator()['id']}/"):
        foreign = site.call("GET", site.path(rest, site.foreign))
        missing = site.call("GET", f"{site.root}collections/{unknown}/{rest}")
        assert_taxii_error(foreign, 404)
        assert_taxii_error(missing, 404)
        assert _without_ids(foreign.json(), str(site.foreign.id)) == \
            _without_ids(missing.json(), str(unknown))
        assert dict(foreign.headers).keys() == dict(missing.headers).keys()
    posted = post(site, envelope(indicator()))
    foreign_post = site.call("POST", site.path("objects/", site.foreign), json=envelope(),
                             headers={"Content-Type": TAXII})
    assert posted.status_code == 202
    assert_taxii_error(foreign_post, 404)
    listed = site.call("GET", f"{site.root}collections/").json()["collections"]
    assert [c["id"] for c in listed] == [str(site.collection.id)]


def test_status_of_another_team_is_404(site: Site) -> None:
    """Section 4.3: a status is visible to the team that posted only."""
    status_id = post(site, envelope(indicator()), site.writer).json()["id"]
    assert site.call("GET", f"{site.root}status/{status_id}/", site.writer).status_code == 200
    for user in (site.owner, site.reader, site.stranger):
        other = assert_taxii_error(site.call("GET", f"{site.root}status/{status_id}/", user), 404)
        unknown_id = str(uuid.uuid4())
        unknown = site.call("GET", f"{site.root}status/{unknown_id}/", user).json()
        assert _without_ids(other, status_id) == _without_ids(unknown, unknown_id)


@pytest.mark.parametrize("accept", [
    "application/json", "application/taxii+json;version=2.0", "text/html",
    "application/stix+json;version=2.0", "application/taxii+json;version=2.1;q=0",
    "application/xml, text/plain"])
def test_406_for_accept_without_taxii_21(site: Site, accept: str) -> None:
    """Section 3.1: an Accept that admits no TAXII 2.1 JSON is refused with 406."""
    for method, url in every_endpoint(site):
        response = site.call(method, url, headers={"Accept": accept, "Content-Type": TAXII},
                             json=envelope())
        assert_taxii_error(response, 406)


@pytest.mark.parametrize("accept", [
    "application/taxii+json", "*/*", TAXII, "application/taxii+json; version=2.1",
    "text/html, application/taxii+json;version=2.1;q=0.5", "application/*", None,
    "application/taxii+json;version=2.1,application/stix+json;version=2.1"])
def test_taxii_21_accepts_are_served(site: Site, accept: str | None) -> None:
    """Section 1.6.8.2: a bare ``application/taxii+json`` means the newest version."""
    for rest in ("", "objects/", "manifest/"):
        response = site.call("GET", site.path(rest), headers={"Accept": accept})
        assert response.status_code == 200, (rest, response.text)
        assert response.headers["Content-Type"] == TAXII


@pytest.mark.parametrize("content_type", [
    "application/json", None, "text/plain", "application/taxii+json;version=2.0",
    "multipart/form-data; boundary=x", ""])
def test_415_for_a_body_that_is_not_taxii_json(site: Site, session: Session,
                                               content_type: str | None) -> None:
    """Section 5.5: the POST body must be ``application/taxii+json;version=2.1``."""
    response = site.call("POST", site.path("objects/"), data=b'{"objects": []}',
                         headers={"Content-Type": content_type})
    if content_type is None:
        assert "Content-Type" not in response.request.headers
    assert_taxii_error(response, 415)
    assert stored_count(session) == 0


def _padded(size: int) -> bytes:
    """A valid, empty envelope of exactly ``size`` bytes."""
    head, tail = b'{"objects":[],"x_pad":"', b'"}'
    return head + b"p" * (size - len(head) - len(tail)) + tail


def test_413_above_max_content_length(site: Site, session: Session) -> None:
    """Section 4.2.1/5.5: above ``max_content_length`` is 413, at it is accepted."""
    site.app.config["TAXII_MAX_CONTENT_LENGTH"] = 2000
    assert site.call("GET", site.root).json()["max_content_length"] == 2000
    headers = {"Content-Type": TAXII}
    at_limit = site.call("POST", site.path("objects/"), data=_padded(2000), headers=headers)
    assert at_limit.status_code == 202, at_limit.text
    assert_taxii_error(site.call("POST", site.path("objects/"), data=_padded(2001),
                                 headers=headers), 413)
    big = envelope(*(indicator(f"10.0.0.{n}") for n in range(20)))
    assert_taxii_error(post(site, big), 413)
    assert stored_count(session) == 0


def test_413_for_a_chunked_body_without_content_length(site: Site, session: Session) -> None:
    """A chunked body is counted as it is read, so no Content-Length cannot bypass the limit."""
    site.app.config["TAXII_MAX_CONTENT_LENGTH"] = 2000
    body = _padded(5000)
    response = site.call("POST", site.path("objects/"), headers={"Content-Type": TAXII},
                         data=(body[i:i + 500] for i in range(0, len(body), 500)))
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert_taxii_error(response, 413)
    small = b'{"objects":[' + json.dumps(indicator()).encode() + b"]}"
    accepted = site.call("POST", site.path("objects/"), headers={"Content-Type": TAXII},
                         data=iter([small[:100], small[100:]]))
    assert accepted.status_code == 202, accepted.text
    assert stored_count(session) == 1


@pytest.mark.parametrize(("method", "rest"), [
    ("PUT", "objects/"), ("PATCH", "objects/"), ("DELETE", "objects/"), ("PUT", ""),
    ("POST", "manifest/"), ("POST", ""), ("PUT", "objects/{id}/"), ("POST", "objects/{id}/")])
def test_405_for_methods_an_endpoint_does_not_have(site: Site, method: str, rest: str) -> None:
    """Section 3.1's endpoint table: other methods are 405, still as TAXII errors."""
    url = site.path(rest.format(id=indicator()["id"]))
    response = site.call(method, url, json=envelope(), headers={"Content-Type": TAXII})
    assert_taxii_error(response, 405)
    assert response.headers["Allow"]


def test_delete_permission_table(site: Site) -> None:
    """Section 5.7: no read and no write 404, one of them 403, both 200 and then 404."""
    obj = indicator()
    site.wire().add(obj)
    url = site.path(f"objects/{obj['id']}/")
    assert_taxii_error(site.call("DELETE", url, site.stranger), 404)
    assert_taxii_error(site.call("DELETE", url, site.reader), 403)
    assert_taxii_error(site.call("DELETE", url, site.writer), 403)
    assert_taxii_error(site.call("DELETE", url, authorization=bearer(site.read_token)), 403)
    assert_taxii_error(site.call("DELETE", url, site.observer), 403)
    assert site.call("GET", url).status_code == 200
    deleted = site.call("DELETE", url)
    assert deleted.status_code == 200 and deleted.headers["Content-Type"] == TAXII
    assert_taxii_error(site.call("GET", url), 404)
    assert_taxii_error(site.call("DELETE", url), 404)
    assert "objects" not in site.call("GET", site.path("manifest/")).json()
