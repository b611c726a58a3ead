"""The records the route fuzz aims at: a user of every role with a token, a sharing collection
with objects and a status, a scenario, a scheduled exercise with an improvement, and a feed.

Path arguments are filled from :attr:`World.pools` (real values by argument name) so requests
reach the views' code, not only the 404s; records a fuzzed request may destroy (a user to
deactivate, a token to revoke) are "victims" nobody else uses, so the acting users keep working.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.users import Role
from exercises.judging import aftercare
from exercises.runs import planning
from exercises.scenarios import library, scenario_format
from feeds import sources
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.fuzz.inputs import LOOPBACK_URL
from tests.web.helpers import csrf_from, sign_in

ROLES = [Role.ADMIN, Role.COORDINATOR, Role.ANALYST, Role.EVALUATOR, Role.OBSERVER, Role.SERVICE]
TAXII = "application/taxii+json;version=2.1"


@dataclass
class Browser:
    """A signed-in (or anonymous) web client and its CSRF token."""

    username: str | None
    client: FlaskClient
    csrf: str = ""


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)  # username -> bearer secret
    browsers: list[Browser] = field(default_factory=list)
    pools: dict[str, list[str]] = field(default_factory=dict)
    form_fields: set[str] = field(default_factory=set)


def _status_id(app: Flask, collection_id: str, token: str, objects: list[dict[str, object]]
               ) -> str:
    response = app.test_client().post(
        f"/taxii2/api/collections/{collection_id}/objects/", data=json.dumps({"objects": objects}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": TAXII, "Accept": TAXII})
    assert response.status_code == 202, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def build(app: Flask, session: Session) -> World:
    """Create the records and sign in one browser per role that may use the web."""
    world = World()
    lotus = make_team(session, "Lotus CERT", "VN", "Asia/Ho_Chi_Minh")
    baltic = make_team(session, "Baltic CERT", "EE", "Europe/Tallinn")
    make_team(session, "Andes CERT", "CL", "America/Santiago")
    for role in ROLES:
        user = make_user(session, lotus, role, role.value)
        scopes = ("read", "write", "admin") if role == Role.ADMIN else ("read", "write")
        world.tokens[user.username] = make_token(session, user, scopes)[1]
    partner = make_user(session, baltic, Role.ANALYST, "partner")
    world.tokens["partner"] = make_token(session, partner)[1]
    victim = make_user(session, baltic, Role.ANALYST, "victim")
    victim_token = make_token(session, victim)[0]
    collection = make_collection(session, lotus, "Fuzz sharing", alias="fuzz-sharing")
    make_grant(session, collection, lotus, read=True, write=True, max_tlp="amber+strict")
    make_grant(session, collection, baltic, read=True, write=True, max_tlp="amber")
    stored: dict[str, object] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "valid_from": "2026-01-01T00:00:00Z", "pattern_type": "stix", "name": "seed",
        "pattern": "[ipv4-addr:value = '203.0.113.9']"}
    status = _status_id(app, str(collection.id), world.tokens["analyst"], [stored])

    coordinator = make_user(session, lotus, Role.COORDINATOR, "excon")
    record = library.save(session, scenario_format.parse(library.sample_text("harbour-lights")))
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name="Fuzz drill", start=utcnow() + timedelta(hours=1),
        teams={"lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"},
        evaluators=["evaluator"], observers=["observer"]), coordinator)
    item = aftercare.add_improvement(session, run, "Patch it", "Lotus CERT", "2027-01-01")
    feed = sources.create_feed(session, app, name="fuzz-feed", kind="taxii21-pull",
                               collection=str(collection.id), partner_team="Baltic CERT",
                               settings={"url": LOOPBACK_URL, "collection": "x", "timeout": 1})
    session.commit()

    world.pools = {
        "api_root": ["api"],
        "collection_id": [str(collection.id), "fuzz-sharing"],
        "object_id": [str(stored["id"])], "stix_id": [str(stored["id"])],
        "status_id": [status],
        "ref": [str(run.id), run.name, "fuzz-feed", str(feed.id), str(record.id)],
        "key": [inject.key for inject in run.injects][:4],
        "action": ["release", "hold", "unhold", "skip", "pause", "resume", "cancel",
                   "complete", "acknowledge"],
        "item_ref": [str(item.id)],
        "result_ref": [], "result_id": [],
        "token_id": [str(victim_token.id), victim_token.display_prefix],
        "username": ["victim"],
        "filename": ["accord.css", "poll.js"],
    }
    for username in [None, *(r.value for r in ROLES if r != Role.SERVICE), "partner"]:
        world.browsers.append(_browser(app, username))
    world.form_fields = _form_fields(world)
    return world


def _browser(app: Flask, username: str | None) -> Browser:
    client = app.test_client()
    if username is not None:
        assert sign_in(client, username).status_code == 302
    return Browser(username, client, csrf_from(client.get("/tokens/" if username else "/login")))


FORM_FIELD = ('name="', '"')


def _form_fields(world: World) -> set[str]:
    """Every form field name on the pages the signed-in users can open (found, not listed, so
    a new form is fuzzed too)."""
    names: set[str] = set()
    pages = ["/", "/collections/", "/share/", "/tokens/", "/exercises/", "/scenarios/",
             "/exercises/schedule/", "/admin/teams", "/admin/users", "/admin/collections",
             "/admin/tokens", "/admin/audit/", f"/exercises/{world.pools['ref'][0]}",
             f"/collections/{world.pools['collection_id'][0]}/"]
    for browser in world.browsers:
        for page in pages:
            text = browser.client.get(page).get_data(as_text=True)
            for chunk in text.split(FORM_FIELD[0])[1:]:
                name = chunk.split(FORM_FIELD[1], 1)[0]
                if name.replace("_", "").isalnum() and name != "csrf_token":
                    names.add(name)
    return names
