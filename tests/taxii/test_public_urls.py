"""Absolute URLs everywhere the TAXII server names one, ``ACCORD_PUBLIC_URL`` and ``OPTIONS``
(issue 19; TAXII 2.1 sections 4.1 and 4.3, RFC 9110 section 9.3.7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.assembly import create_app
from accord.config import ConfigError
from accord.models.users import Role
from tests.accord.helpers import accord_env, one_error_line, run
from tests.conftest import TEST_SECRET
from tests.factories import make_collection, make_team, make_user
from tests.taxii.conftest import envelope, indicator
from tests.taxii.wire import TAXII, basic


@pytest.fixture
def lan(session: Session) -> str:
    """Basic credentials of an analyst whose team owns one collection."""
    team = make_team(session, "CERT-VN")
    make_user(session, team, Role.ANALYST, username="lan")
    make_collection(session, team, "Partner indicators", alias="partner-indicators")
    return basic("lan")


def discover(client: FlaskClient, authorization: str, **kwargs: str) -> dict[str, object]:
    response = client.get("/taxii2/", headers={"Accept": TAXII, "Authorization": authorization},
                          **kwargs)
    assert response.status_code == 200, response.data
    body: dict[str, object] = response.get_json(force=True)
    return body


def test_discovery_urls_come_from_the_request_when_no_public_url(
        client: FlaskClient, lan: str) -> None:
    body = discover(client, lan)
    assert body["default"] == "http://localhost/taxii2/api/"
    assert body["api_roots"] == ["http://localhost/taxii2/api/"]
    other = discover(client, lan, base_url="https://hub.partner.example:8443")
    assert other["default"] == "https://hub.partner.example:8443/taxii2/api/"


def test_discovery_and_status_location_use_the_public_url(
        app: Flask, client: FlaskClient, lan: str) -> None:
    app.config["PUBLIC_URL"] = "https://hub.cert.example/accord"
    app.config["TAXII_API_ROOTS"] = ["api", "exercises"]
    body = discover(client, lan, base_url="http://10.0.0.7:8000")
    assert body["default"] == "https://hub.cert.example/accord/taxii2/api/"
    assert body["api_roots"] == ["https://hub.cert.example/accord/taxii2/api/",
                                 "https://hub.cert.example/accord/taxii2/exercises/"]
    added = client.post("/taxii2/api/collections/partner-indicators/objects/",
                        data=json.dumps(envelope(indicator())),
                        headers={"Accept": TAXII, "Content-Type": TAXII, "Authorization": lan})
    assert added.status_code == 202, added.data
    status_id = added.get_json(force=True)["id"]
    location = f"https://hub.cert.example/accord/taxii2/api/status/{status_id}/"
    assert added.headers["Location"] == location
    polled = client.get(location.removeprefix("https://hub.cert.example/accord"),
                        headers={"Accept": TAXII, "Authorization": lan})
    assert polled.get_json(force=True)["success_count"] == 1


def _config_error(tmp_path: Path, public_url: str) -> str:
    with pytest.raises(ConfigError) as refused:
        create_app({"SECRET_KEY": TEST_SECRET, "INSTANCE_PATH": str(tmp_path),
                    "PUBLIC_URL": public_url})
    return str(refused.value)


@pytest.mark.parametrize(("value", "message"), [
    ("hub.cert.example", "must be an absolute http:// or https:// URL"),
    ("/taxii2", "must be an absolute http:// or https:// URL"),
    ("ftp://hub.cert.example", "must be an absolute http:// or https:// URL"),
    ("https://", "must be an absolute http:// or https:// URL"),
    ("https://hub.cert.example/?x=1", "must not have a query or fragment"),
    ("https://hub.cert.example/#top", "must not have a query or fragment"),
    ("https://hub.cert.example:port", "is not a valid URL"),
    ("https://user:pw@hub.cert.example", "must not contain credentials"),
    ("https://hub cert.example", "must not contain spaces"),
])
def test_a_bad_public_url_stops_the_hub_at_start(tmp_path: Path, value: str, message: str
                                                 ) -> None:
    error = _config_error(tmp_path, value)
    assert error.startswith("ACCORD_PUBLIC_URL") and message in error


def test_public_url_from_the_environment_is_normalised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_PUBLIC_URL", "https://hub.cert.example/")
    app = create_app({"SECRET_KEY": TEST_SECRET, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["PUBLIC_URL"] == "https://hub.cert.example"


ENDPOINTS = {
    "/taxii2/": {"GET", "HEAD", "OPTIONS"},
    "/taxii2/api/": {"GET", "HEAD", "OPTIONS"},
    "/taxii2/api/status/0b7ef1a7-1f34-4a53-9e4b-9b4c2a6f3c11/": {"GET", "HEAD", "OPTIONS"},
    "/taxii2/api/collections/": {"GET", "HEAD", "OPTIONS"},
    "/taxii2/api/collections/partner-indicators/": {"GET", "HEAD", "OPTIONS"},
    "/taxii2/api/collections/partner-indicators/manifest/": {"GET", "HEAD", "OPTIONS"},
    "/taxii2/api/collections/partner-indicators/objects/": {"GET", "HEAD", "POST", "OPTIONS"},
    "/taxii2/api/collections/partner-indicators/objects/indicator--1/":
        {"GET", "HEAD", "DELETE", "OPTIONS"},
    "/taxii2/api/collections/partner-indicators/objects/indicator--1/versions/":
        {"GET", "HEAD", "OPTIONS"},
}


def test_endpoints_listed_cover_every_taxii_route(app: Flask) -> None:
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/taxii2")}
    assert len(routes) == len(ENDPOINTS)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_options_answers_allow_in_the_taxii_media_type(client: FlaskClient, path: str) -> None:
    response = client.options(path, headers={"Accept": TAXII})
    assert response.status_code == 200
    assert response.content_type == TAXII
    assert {m.strip() for m in response.headers["Allow"].split(",")} == ENDPOINTS[path]
    assert response.get_json(force=True) == {}


def test_cli_collection_urls_use_the_public_url(app: Flask, lan: str) -> None:
    app.config["PUBLIC_URL"] = "https://hub.cert.example"
    listed = app.test_cli_runner().invoke(args=["collection", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert row["url"] == f"https://hub.cert.example/taxii2/api/collections/{row['id']}/"


def test_a_bad_public_url_is_one_line_from_the_cli(app: Flask) -> None:
    env = accord_env(app.config["DATABASE_URL"], ACCORD_PUBLIC_URL="hub.cert.example")
    refused = run("accord", "serve", env=env)
    assert refused.returncode != 0
    assert "ACCORD_PUBLIC_URL must be an absolute http:// or https:// URL" in \
        one_error_line(refused.stderr)
