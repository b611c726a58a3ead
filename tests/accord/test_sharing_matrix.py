"""TLP/authorisation matrix: every reader kind × every read path × every marking form.

One module-scoped scene (built once, over real HTTP on 127.0.0.1) holds objects marked in every
form the hub must understand: TLP 1.0 and 2.0 ids, OpenCTI's AMBER+STRICT, upper-case ids,
partner-defined TLP marking-definitions (in the same envelope and stored before), granular
markings, unmarked objects under each collection default, a GREEN relationship to a RED id, and
an object whose TLP was raised in a later version. The level each must get is written out by
hand below from the policy text (README "TLP policy"), not computed with the hub's code.

For each reader the test compares what every path serves with what the reader may see: no
leak, nothing missing, and for every hidden id the same answer as for an id that does not
exist. Outbound paths (service-account reads, exports, pushes) must state each object's
effective TLP in the object's own ``object_marking_refs``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from accord.db import database, utcnow
from accord.models.collections import Collection
from accord.models.users import ApiToken, Role
from accord.services import tokens, users
from accord.sharing import access as sharing_access
from accord.sharing import export as sharing_export
from accord.tlp import TLP2_EXTENSION_ID, Tlp
from feeds import push, sources
from tests.conftest import LiveServer, delete_all_rows
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.wire import Wire, bearer
from tests.web.helpers import sign_in

TLP1 = {"white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}
TLP2 = {Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
OPENCTI_AMBER_STRICT = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
PARTNER_RED = "marking-definition--5d7f3c1e-0b6a-4d4e-9a51-8c1f2e3d4b01"  # "TLP:RED" by name
PARTNER_AMBER = "marking-definition--0e9c1a77-2f4b-4e0e-8d0a-3b6f5c4e2a10"  # TLP 2.0 extension
STORED_RED = "marking-definition--7a2b9c4d-1e3f-4a5b-8c6d-9e0f1a2b3c4d"  # stored beforehand
V1, V2 = "2026-11-01T08:00:00.000Z", "2026-11-02T08:00:00.000Z"
LEVELS = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]


def _definition(stix_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": "marking-definition", "spec_version": "2.1", "id": stix_id,
            "created": "2026-01-01T00:00:00.000Z", **fields}


def _upper(marking_id: str) -> str:
    """The id with its UUID in upper case (the type prefix must stay lower case)."""
    prefix, _, rest = marking_id.partition("--")
    return f"{prefix}--{rest.upper()}"


def _indicator(name: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": V1, "modified": V1, "name": name, "valid_from": V1,
            "pattern": f"[ipv4-addr:value = '203.0.113.{n}']", "pattern_type": "stix", **extra}


# name: (collection default, extra fields, the level the hub must enforce)
FORMS: dict[str, tuple[Tlp, dict[str, Any], Tlp]] = {
    **{f"tlp2-{level.value}": (Tlp.AMBER, {"object_marking_refs": [TLP2[level]]}, level)
       for level in LEVELS},
    "tlp1-white": (Tlp.AMBER, {"object_marking_refs": [TLP1["white"]]}, Tlp.CLEAR),
    "tlp1-green": (Tlp.AMBER, {"object_marking_refs": [TLP1["green"]]}, Tlp.GREEN),
    "tlp1-amber": (Tlp.AMBER, {"object_marking_refs": [TLP1["amber"]]}, Tlp.AMBER),
    "tlp1-red": (Tlp.AMBER, {"object_marking_refs": [TLP1["red"]]}, Tlp.RED),
    "opencti-amber+strict": (Tlp.AMBER, {"object_marking_refs": [OPENCTI_AMBER_STRICT]},
                             Tlp.AMBER_STRICT),
    "upper-case red": (Tlp.AMBER, {"object_marking_refs": [_upper(TLP2[Tlp.RED])]}, Tlp.RED),
    "upper-case tlp1 amber": (Tlp.GREEN, {"object_marking_refs": [_upper(TLP1["amber"])]},
                              Tlp.AMBER),
    "partner TLP:RED by name": (Tlp.AMBER, {"object_marking_refs": [PARTNER_RED]}, Tlp.RED),
    "partner tlp2-extension amber": (Tlp.GREEN, {"object_marking_refs": [PARTNER_AMBER]},
                                     Tlp.AMBER),
    "partner RED stored before": (Tlp.AMBER, {"object_marking_refs": [STORED_RED]}, Tlp.RED),
    "granular red on green": (Tlp.AMBER, {"object_marking_refs": [TLP2[Tlp.GREEN]],
                                          "description": "secret source",
                                          "granular_markings": [
                                              {"marking_ref": TLP2[Tlp.RED],
                                               "selectors": ["description"]}]}, Tlp.RED),
    "granular only amber+strict": (Tlp.GREEN, {"description": "x", "granular_markings": [
        {"marking_ref": TLP2[Tlp.AMBER_STRICT], "selectors": ["description"]}]},
        Tlp.AMBER_STRICT),
    **{f"unmarked, default {level.value}": (level, {}, level)
       for level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER)},
}
DEFINITIONS = {"clear": 0, "green": 1, "amber": 2}  # marking-definitions shared per collection
RAISED = "raised amber to red"  # v1 AMBER, v2 RED: readers below RED keep v1 as their latest


@dataclass(frozen=True)
class Reader:
    """One kind of caller: its team's grant (None: no grant), person or service, credentials."""

    team: str
    grant: Tlp | None
    service: bool = False
    credentials: str = "token"  # token | read-only token | expired | revoked | deactivated


READERS: dict[str, Reader] = {
    "owner": Reader("SRC", Tlp.RED),
    "owner service": Reader("SRC", Tlp.RED, service=True),
    **{f"grant {level.value}": Reader(f"G-{level.value}", level) for level in LEVELS},
    "grant red service": Reader("G-red", Tlp.RED, service=True),
    "grant amber+strict service": Reader("G-amber+strict", Tlp.AMBER_STRICT, service=True),
    "read-only token": Reader("G-amber", Tlp.AMBER, credentials="read-only token"),
    "no grant": Reader("NOGRANT", None),
    "other trust group": Reader("OTHER", None),
    "expired token": Reader("G-red", Tlp.RED, credentials="expired"),
    "revoked token": Reader("G-red", Tlp.RED, credentials="revoked"),
    "deactivated user": Reader("G-red", Tlp.RED, credentials="deactivated"),
}


def may_see(reader: Reader, level: Tlp, own: bool) -> bool:
    """The policy text: own team always (services: not RED); RED only to a RED grant, never to
    services; another team's AMBER+STRICT never to services; otherwise up to the grant."""
    if reader.grant is None or reader.credentials in ("expired", "revoked", "deactivated"):
        return False
    if own:
        return not (reader.service and level == Tlp.RED)
    if reader.service and level in (Tlp.RED, Tlp.AMBER_STRICT):
        return False
    return LEVELS.index(level) <= LEVELS.index(reader.grant)


@dataclass
class Shared:
    """One shared object: its collection, versions (id, modified, level) and name."""

    name: str
    collection: str  # default level value
    versions: list[tuple[str, Tlp]]
    stix_id: str
    own: bool = True  # shared by the owner team SRC (else by G-amber+strict)
    value: str = ""  # the indicator's address (for blocklists)

    def visible(self, reader: Reader) -> list[str]:
        author = "SRC" if self.own else "G-amber+strict"
        return [modified for modified, level in self.versions
                if may_see(reader, level, reader.team == author)]


@dataclass
class Scene:
    url: str
    collections: dict[str, Collection]
    wires: dict[str, dict[str, Wire]]
    usernames: dict[str, str]
    shared: list[Shared] = field(default_factory=list)


def _served(modified: str) -> str:
    return modified.replace(".000Z", ".000000Z")


@pytest.fixture(scope="module")
def scene(_migrated_app: Flask, _live_server: LiveServer) -> Iterator[Scene]:
    """Build everything once: teams, grants, credentials, collections and shared objects."""
    app = _migrated_app
    saved = dict(app.config)
    # Expired, revoked and deactivated credentials count as failed logins from 127.0.0.1.
    app.config.update(LOGIN_FAILURES_PER_ADDRESS=100_000, LOGIN_FAILURES_PER_USER=100_000)
    delete_all_rows(app)
    with database(app).sessionmaker() as session:
        teams = {name: make_team(session, name) for name in
                 {reader.team for reader in READERS.values()}}
        collections = {level.value: make_collection(session, teams["SRC"], f"Matrix {level}",
                                                    allows_red=True, default_tlp=level)
                       for level in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER)}
        wires: dict[str, dict[str, Wire]] = {}
        usernames: dict[str, str] = {}
        for name, reader in READERS.items():
            team = teams[reader.team]
            for collection in collections.values():
                if reader.grant is not None and reader.team != "SRC":
                    make_grant(session, collection, team, read=True, write=True,
                               max_tlp=reader.grant)
            user = make_user(session, team, Role.SERVICE if reader.service else Role.ANALYST)
            usernames[name] = user.username
            scopes = ("read",) if reader.credentials == "read-only token" else ("read", "write")
            token, secret = make_token(session, user, scopes)
            if reader.credentials == "expired":
                stored = session.get(ApiToken, token.id)
                assert stored is not None
                stored.expires_at = utcnow() - timedelta(days=1)
            elif reader.credentials == "revoked":
                tokens.revoke_token(session, str(token.id))
            elif reader.credentials == "deactivated":
                users.deactivate_user(session, user.username)
            session.commit()
            wires[name] = {key: Wire.of(_live_server.url, collection, bearer(secret))
                           for key, collection in collections.items()}
    result = Scene(_live_server.url, collections, wires, usernames)
    _share_everything(result)
    yield result
    app.config.clear()
    app.config.update(saved)
    delete_all_rows(app)


def _share_everything(scene: Scene) -> None:
    owner = scene.wires["owner"]
    stored_red = _definition(STORED_RED, name="tlp:red ", definition_type="statement",
                             definition={"statement": "ours, red"})
    assert owner["amber"].add(stored_red)["success_count"] == 1
    # Partner-defined TLP definitions travel in the same envelope as the objects marked so.
    by_collection: dict[str, list[dict[str, Any]]] = {
        "clear": [],
        "green": [_definition(PARTNER_AMBER, name="Partner amber", extensions={
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "amber"}})],
        "amber": [_definition(PARTNER_RED, name="TLP:RED", definition_type="statement",
                              definition={"statement": "partner red"})]}
    for n, (name, (default, extra, level)) in enumerate(FORMS.items(), 1):
        obj = _indicator(f"M-{n:02d}", n, **extra)
        by_collection[default.value].append(obj)
        scene.shared.append(Shared(name, default.value, [(V1, level)], obj["id"],
                                   value=f"203.0.113.{n}"))
    red_id = next(s.stix_id for s in scene.shared if s.name == "tlp2-red")
    relationship: dict[str, Any] = {"type": "relationship", "spec_version": "2.1",
                    "id": f"relationship--{uuid.uuid4()}", "created": V1, "modified": V1,
                    "relationship_type": "indicates", "source_ref": red_id,
                    "target_ref": f"malware--{uuid.uuid4()}",
                    "object_marking_refs": [TLP2[Tlp.GREEN]]}
    by_collection["amber"].append(relationship)
    scene.shared.append(Shared("green relationship to a red id", "amber", [(V1, Tlp.GREEN)],
                               relationship["id"]))
    first = _indicator("M-99", 99, object_marking_refs=[TLP2[Tlp.AMBER]])
    later = {**first, "modified": V2, "object_marking_refs": [TLP2[Tlp.RED]]}
    by_collection["amber"] += [first, later]
    scene.shared.append(Shared(RAISED, "amber", [(V1, Tlp.AMBER), (V2, Tlp.RED)], first["id"],
                               value="203.0.113.99"))
    for key, objects in by_collection.items():
        status = owner[key].add(*objects)
        assert status["failure_count"] == 0, status["failures"]
    # Another team's AMBER+STRICT in the owner's collection: services never get it.
    foreign = _indicator("M-FS", 200, object_marking_refs=[TLP2[Tlp.AMBER_STRICT]])
    assert scene.wires["grant amber+strict"]["amber"].add(foreign)["success_count"] == 1
    scene.shared.append(Shared("foreign amber+strict", "amber", [(V1, Tlp.AMBER_STRICT)],
                               foreign["id"], own=False, value="203.0.113.200"))


def _keys(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(obj["id"], obj["modified"]) for obj in objects if obj["type"] != "marking-definition"}


def _walk(wire: Wire, **params: str) -> list[dict[str, Any]]:
    """Every page of a listing, following ``next`` (section 3.4)."""
    objects: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(100):
        response = wire.get(**params, **({"next": token} if token else {}))
        if response.status_code != 200:
            return []
        body = response.json()
        objects += body.get("objects", [])
        token = body.get("next")
        if not body.get("more"):
            return objects
    raise AssertionError("paging did not end")


def _without_id(response: Any, stix_id: str) -> tuple[int, str]:
    return response.status_code, response.text.replace(stix_id, "<id>")


def _states_level(obj: dict[str, Any], level: Tlp) -> bool:
    refs = {str(ref).lower() for ref in obj.get("object_marking_refs", [])}
    return TLP2[level] in refs or any(TLP1.get(name) in refs for name in (
        {Tlp.CLEAR: "white", Tlp.GREEN: "green", Tlp.AMBER: "amber", Tlp.RED: "red"}.get(
            level, "none"),))


def _level_of(scene: Scene, stix_id: str, modified: str) -> Tlp:
    shared = next(s for s in scene.shared if s.stix_id == stix_id)
    return dict(shared.versions)[modified]


@pytest.mark.parametrize("reader_name", list(READERS))
def test_taxii_read_paths(scene: Scene, reader_name: str) -> None:
    """objects (default, next pages, added_after, first, last, all), manifest, by id, versions:
    exactly the visible versions, and hidden ids answered like ids that do not exist."""
    reader = READERS[reader_name]
    problems: list[str] = []
    for key, wire in scene.wires[reader_name].items():
        mine = [s for s in scene.shared if s.collection == key]
        last = {(s.stix_id, s.visible(reader)[-1]) for s in mine if s.visible(reader)}
        first = {(s.stix_id, s.visible(reader)[0]) for s in mine if s.visible(reader)}
        every = {(s.stix_id, m) for s in mine for m in s.visible(reader)}
        observed = {
            "objects": _keys(_walk(wire)), "objects limit=4 next": _keys(_walk(wire, limit="4")),
            "added_after": _keys(_walk(wire, added_after="2000-01-01T00:00:00Z")),
            "match[version]=last": _keys(_walk(wire, match_version="last")),
            "match[version]=first": _keys(_walk(wire, match_version="first")),
            "match[version]=all": _keys(_walk(wire, match_version="all")),
        }
        wanted = {"objects": last, "objects limit=4 next": last, "added_after": last,
                  "match[version]=last": last, "match[version]=first": first,
                  "match[version]=all": every}
        manifest = wire.get("manifest/", match_version="all")
        records = manifest.json().get("objects", []) if manifest.status_code == 200 else []
        observed["manifest"] = {(r["id"], r["version"]) for r in records
                                if not r["id"].startswith("marking-definition--")}
        wanted["manifest"] = {(i, _served(m)) for i, m in every}
        for path, seen in observed.items():
            if seen != wanted[path]:
                problems.append(f"{key} {path}: leaked {sorted(seen - wanted[path])}, "
                                f"missing {sorted(wanted[path] - seen)}")
        nowhere = f"indicator--{uuid.uuid4()}"
        absent = {path: _without_id(wire.get(path.format(nowhere)), nowhere)
                  for path in ("objects/{}/", "objects/{}/versions/")}
        for shared in mine:
            visible = shared.visible(reader)
            single = wire.get(f"objects/{shared.stix_id}/")
            versions = wire.get(f"objects/{shared.stix_id}/versions/")
            if not visible:
                for path, response in (("objects/{}/", single),
                                       ("objects/{}/versions/", versions)):
                    if _without_id(response, shared.stix_id) != absent[path]:
                        problems.append(f"{shared.name}: {path} differs from a missing id")
                continue
            got = _keys(single.json().get("objects", [])) if single.status_code == 200 else set()
            if got != {(shared.stix_id, visible[-1])}:
                problems.append(f"{shared.name}: by id gave {got}")
            listed = versions.json().get("versions", []) if versions.status_code == 200 else []
            if listed != [_served(v) for v in visible]:
                problems.append(f"{shared.name}: versions gave {listed}")
            if reader.service:  # automation gets the outbound form: effective TLP stated
                for obj in single.json()["objects"]:
                    level = _level_of(scene, obj["id"], obj["modified"])
                    if not _states_level(obj, level):
                        problems.append(f"{shared.name}: served to a service without "
                                        f"{level.label} stated")
    assert problems == []


PEOPLE = [name for name, reader in READERS.items()
          if reader.credentials == "token" and reader.grant is not None]


@pytest.mark.parametrize("reader_name", PEOPLE)
@pytest.mark.parametrize("fmt", ["bundle", "csv", "blocklist"])
def test_exports(scene: Scene, _migrated_app: Flask, reader_name: str, fmt: str) -> None:
    """Every export format holds exactly the latest visible versions; bundles state the TLP."""
    reader = READERS[reader_name]
    with database(_migrated_app).sessionmaker() as session:
        for key, collection in scene.collections.items():
            mine = [s for s in scene.shared if s.collection == key and s.visible(reader)]
            if fmt == "blocklist":
                mine = [s for s in mine if s.stix_id.startswith("indicator--")]
            standing = sharing_access.standing(session, scene.usernames[reader_name],
                                               str(collection.id))
            out = io.StringIO()
            sharing_export.export(session, standing, fmt, (), out, "test", hub_name="Accord hub")
            session.rollback()
            text = out.getvalue()
            if fmt == "bundle":
                objects = [o for o in json.loads(text)["objects"]
                           if o["type"] != "marking-definition"]
                assert _keys(objects) == {(s.stix_id, s.visible(reader)[-1]) for s in mine}
                for obj in objects:
                    assert _states_level(obj, _level_of(scene, obj["id"], obj["modified"])), obj
            elif fmt == "csv":
                rows = list(csv.DictReader(io.StringIO(text)))
                assert {row["id"] for row in rows if row["type"] != "marking-definition"} == {
                    s.stix_id for s in mine}
            else:
                assert set(text.split()) == {s.value for s in mine}


@pytest.mark.parametrize("reader_name", ["owner", "grant clear", "grant amber", "grant red",
                                         "no grant"])
def test_web_paths(scene: Scene, _migrated_app: Flask, reader_name: str) -> None:
    """Search pages, object pages, collection counts and the dashboard show only what the
    reader may see; a hidden object's page is the page of an object that does not exist."""
    reader = READERS[reader_name]
    client = _migrated_app.test_client()
    assert sign_in(client, scene.usernames[reader_name]).status_code == 302
    dashboard = client.get("/").get_data(as_text=True)
    listing = client.get("/collections/").get_data(as_text=True)
    for key, collection in scene.collections.items():
        mine = [s for s in scene.shared if s.collection == key]
        page = client.get(f"/collections/{collection.id}/")
        html = page.get_data(as_text=True) if page.status_code == 200 else ""
        missing = f"indicator--{uuid.uuid4()}"
        nowhere = client.get(f"/collections/{collection.id}/objects/{missing}")
        for shared in mine:
            visible = shared.visible(reader)
            shown = client.get(f"/collections/{collection.id}/objects/{shared.stix_id}")
            if visible:
                assert shared.stix_id in html
                assert shown.status_code == 200
            else:
                assert shared.stix_id not in html and shared.stix_id not in dashboard
                assert (shown.status_code, _page_text(shown, shared.stix_id)) == (
                    nowhere.status_code, _page_text(nowhere, missing))
        if reader.grant is not None:
            # TLP marking-definitions are public vocabulary: everyone with a grant counts them.
            count = sum(1 for s in mine if s.visible(reader)) + DEFINITIONS[key]
            assert f'data-count="{collection.id}">{count}<' in listing


def _page_text(response: Any, stix_id: str) -> str:
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True).replace(stix_id, ""))


def test_push_sends_only_what_may_leave_with_its_tlp_stated(scene: Scene,
                                                            _migrated_app: Flask) -> None:
    """A push to a second hub (max TLP AMBER+STRICT) sends the owner's own objects up to
    AMBER+STRICT, never RED, never another team's AMBER+STRICT, each with its TLP stated."""
    with database(_migrated_app).sessionmaker() as session:
        partner = make_team(session, "PUSH-PARTNER")
        sent: list[dict[str, Any]] = []
        for collection in scene.collections.values():
            feed = sources.create_feed(
                session, _migrated_app, name=f"push-{collection.id}", kind="taxii21-push",
                collection=str(collection.id), partner_team=partner.name,
                max_tlp="amber+strict", settings={"url": "http://127.0.0.1:9/taxii2/",
                                                  "collection": str(uuid.uuid4())})
            for batch in push.batches(session, feed, 500, "Accord hub"):
                sent += batch.objects
        session.rollback()
    wanted = {(s.stix_id, m) for s in scene.shared if s.own
              for m, level in s.versions if level != Tlp.RED}
    assert _keys(sent) == wanted
    for obj in sent:
        if obj["type"] == "marking-definition":
            continue
        assert _states_level(obj, _level_of(scene, obj["id"], obj["modified"])), obj


def test_writes_tell_nothing_about_hidden_ids(scene: Scene) -> None:
    """A writer posting a new version of an id it cannot read gets the answer it gets for an
    id that does not exist; the origin's object is untouched for everyone else."""
    writer = scene.wires["grant green"]["amber"]
    hidden = [s for s in scene.shared
              if s.collection == "amber" and not s.visible(READERS["grant green"])]
    assert len(hidden) >= 8
    for shared in hidden:
        missing = f"indicator--{uuid.uuid4()}"
        answers: list[object] = []
        for stix_id in (shared.stix_id, missing):
            obj = _indicator("forged", 150, id=stix_id, modified="2026-12-01T00:00:00.000Z",
                             object_marking_refs=[TLP2[Tlp.GREEN]])
            status = writer.add(obj)
            answers.append((status["success_count"], status["failure_count"],
                            json.dumps(status.get("failures", [])).replace(stix_id, "<id>")))
            mine = writer.get(f"objects/{stix_id}/").json()["objects"]
            answers.append([o["name"] for o in mine])
        assert answers[:2] == answers[2:], shared.name
    owner = scene.wires["owner"]["amber"]
    red = scene.wires["grant red"]["amber"]
    for shared in hidden:
        for wire in (owner, red):
            served = wire.get(f"objects/{shared.stix_id}/").json()["objects"]
            assert [o["name"] for o in served] != ["forged"], shared.name
