"""TLP 2.0 as access control on every TAXII read path, over real HTTP (ARCHITECTURE rule 3).

Each marking variant is shared by one team into a RED-capable collection; then every kind of
reader asks every read path (sections 5.3, 5.4, 5.6, 5.8) for it. The expected readers are
written out below from the policy text, not computed with the hub's own ``may_read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import Role
from accord.sharing.ingest import NO_RED
from accord.tlp import Tlp
from tests.conftest import LiveServer
from tests.factories import make_collection, make_grant, make_team, make_token, make_user
from tests.taxii.conftest import indicator
from tests.taxii.wire import Wire, bearer, failures_by_id, success_ids

# STIX 2.1 section 7.2.1.4 (TLP 1.0), the OASIS TLP 2.0 marking definitions, and OpenCTI's.
TLP1 = {"white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}
TLP2 = {"clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}
OPENCTI_AMBER_STRICT = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
STATEMENT = "marking-definition--d771aceb-ad87-4b3a-aa6c-4ee0ad7a4c2b"  # not a TLP marking

V1, V2 = "2026-11-01T08:00:00.000Z", "2026-11-02T08:00:00.000Z"
V1_SERVED, V2_SERVED = "2026-11-01T08:00:00.000000Z", "2026-11-02T08:00:00.000000Z"

# Who reads an object of each level. The source team's grant only reaches GREEN: it still sees
# everything it shared. Service accounts never get RED, not even the source team's own.
EVERY_GRANTEE = {"source", "source service", "red", "red service", "strict", "strict service",
                 "amber", "green", "clear"}
READERS: dict[Tlp, set[str]] = {
    Tlp.CLEAR: EVERY_GRANTEE,
    Tlp.GREEN: EVERY_GRANTEE - {"clear"},
    Tlp.AMBER: EVERY_GRANTEE - {"clear", "green"},
    # Another team's AMBER+STRICT never reaches automation, which would re-serve it.
    Tlp.AMBER_STRICT: EVERY_GRANTEE - {"clear", "green", "amber", "strict service",
                                       "red service"},
    Tlp.RED: {"source", "red"},
}
# name: (team, role, grant max TLP or None for no grant)
READER_KINDS: dict[str, tuple[str, Role, Tlp | None]] = {
    "source": ("CERT-SRC", Role.ANALYST, Tlp.GREEN),
    "source service": ("CERT-SRC", Role.SERVICE, Tlp.GREEN),
    "red": ("CERT-RED", Role.ANALYST, Tlp.RED),
    "red service": ("CERT-RED", Role.SERVICE, Tlp.RED),
    "strict": ("CERT-STRICT", Role.ANALYST, Tlp.AMBER_STRICT),
    "strict service": ("CERT-STRICT", Role.SERVICE, Tlp.AMBER_STRICT),
    "amber": ("CERT-AMBER", Role.ANALYST, Tlp.AMBER),
    "green": ("CERT-GREEN", Role.ANALYST, Tlp.GREEN),
    "clear": ("CERT-CLEAR", Role.ANALYST, Tlp.CLEAR),
    "outsider": ("CERT-OUT", Role.ANALYST, None),
}


@dataclass(frozen=True)
class Variant:
    """One way of marking an object, and the TLP level the hub must enforce for it."""

    refs: tuple[str, ...]
    level: Tlp
    default_tlp: Tlp = Tlp.AMBER


VARIANTS = {
    "TLP2 CLEAR": Variant((TLP2["clear"],), Tlp.CLEAR),
    "TLP2 GREEN": Variant((TLP2["green"],), Tlp.GREEN),
    "TLP2 AMBER": Variant((TLP2["amber"],), Tlp.AMBER),
    "TLP2 AMBER+STRICT": Variant((TLP2["amber+strict"],), Tlp.AMBER_STRICT),
    "TLP2 RED": Variant((TLP2["red"],), Tlp.RED),
    "unmarked, default AMBER": Variant((), Tlp.AMBER),
    "unmarked, default GREEN": Variant((), Tlp.GREEN, default_tlp=Tlp.GREEN),
    "statement only, default AMBER": Variant((STATEMENT,), Tlp.AMBER),
    "TLP1 WHITE": Variant((TLP1["white"],), Tlp.CLEAR),
    "TLP1 AMBER": Variant((TLP1["amber"],), Tlp.AMBER),
    "TLP1 RED": Variant((TLP1["red"],), Tlp.RED),
    "OpenCTI AMBER+STRICT": Variant((OPENCTI_AMBER_STRICT,), Tlp.AMBER_STRICT),
    "TLP2 GREEN + OpenCTI AMBER+STRICT": Variant((TLP2["green"], OPENCTI_AMBER_STRICT),
                                                 Tlp.AMBER_STRICT),
    "TLP1 GREEN + TLP2 RED": Variant((TLP1["green"], TLP2["red"]), Tlp.RED),
    "TLP2 CLEAR + statement": Variant((TLP2["clear"], STATEMENT), Tlp.CLEAR),
}


def marked(refs: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    """An indicator carrying exactly ``refs`` (none: unmarked)."""
    if refs:
        extra["object_marking_refs"] = list(refs)
    return indicator(**extra)


@dataclass
class Scene:
    """A collection, one HTTP caller per reader kind, and the objects shared into it."""

    collection: Collection
    wires: dict[str, Wire]
    versions: list[dict[str, Any]]
    decoy: dict[str, Any]

    @property
    def target_id(self) -> str:
        return str(self.versions[0]["id"])


def _teams(session: Session) -> dict[str, Team]:
    names = sorted({team for team, _, _ in READER_KINDS.values()})
    return {name: make_team(session, name) for name in names}


def build_scene(session: Session, server: LiveServer, variant: Variant,
                later_refs: tuple[str, ...] | None = None) -> Scene:
    """Share two versions of a ``variant``-marked indicator and a CLEAR decoy from another team.

    ``later_refs`` re-marks the second version; by default both versions carry the same marking.
    """
    teams = _teams(session)
    collection = make_collection(session, teams["CERT-RED"], "Matrix", allows_red=True,
                                 default_tlp=variant.default_tlp)
    wires: dict[str, Wire] = {}
    for name, (team_name, role, max_tlp) in READER_KINDS.items():
        team = teams[team_name]
        if max_tlp is not None:
            make_grant(session, collection, team, read=True, write=True, max_tlp=max_tlp)
        user = make_user(session, team, role)
        _, secret = make_token(session, user)
        wires[name] = Wire.of(server.url, collection, bearer(secret))
    first = marked(variant.refs, created=V1, modified=V1)
    versions = [first, marked(variant.refs if later_refs is None else later_refs,
                              id=first["id"], created=V1, modified=V2, name="Updated")]
    decoy = marked((TLP2["clear"],), value="192.0.2.200")
    assert success_ids(wires["source"].add(*versions)) == [first["id"], first["id"]]
    assert success_ids(wires["red"].add(decoy)) == [decoy["id"]]
    return Scene(collection, wires, versions, decoy)


def _verdict(response: Any, seen: Any, hidden: Any, body: Any) -> str:
    """``seen``/``hidden`` when the body is what either case must give; else what came back."""
    if response.status_code == 404:
        description = str(response.json().get("description", ""))
        return "no collection" if description.startswith("There is no collection") else "hidden"
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if body == seen:
        return "seen"
    if body == hidden:
        return "hidden"
    return f"unexpected body {body!r:.300}"


def _body(response: Any) -> dict[str, Any]:
    return response.json() if response.status_code == 200 else {}


def _objects(response: Any) -> Any:
    """The objects served, as (id, modified): service accounts get outbound copies, which may
    add the effective TLP marking and ``created_by_ref`` (see test_sharing_matrix)."""
    objects = _body(response).get("objects")
    return None if objects is None else [_key(obj) for obj in objects]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["id"], obj["modified"]


def _keys(objects: list[dict[str, Any]] | None) -> list[tuple[str, str]] | None:
    return None if objects is None else [_key(obj) for obj in objects]


def _manifest(response: Any) -> list[tuple[str, str]]:
    return [(record["id"], record["version"])
            for record in _body(response).get("objects") or []]


def probe(scene: Scene, wire: Wire) -> dict[str, str]:
    """What ``wire`` gets from every read path, reduced to seen / hidden / no collection."""
    target, decoy = scene.target_id, scene.decoy
    first, last = scene.versions
    every = wire.get(match_id=target, match_version="all")
    single = wire.get(f"objects/{target}/")
    single_all = wire.get(f"objects/{target}/", match_version="all")
    versions = wire.get(f"objects/{target}/versions/")
    listing = wire.get()
    manifest = wire.get("manifest/")
    manifest_all = wire.get("manifest/", match_id=target, match_version="all")
    shown_decoy = (decoy["id"], V1_SERVED)
    return {
        "objects": _verdict(listing, _keys([last, decoy]), _keys([decoy]), _objects(listing)),
        "objects match[id] all": _verdict(every, _keys([first, last]), None, _objects(every)),
        "object": _verdict(single, _keys([last]), None, _objects(single)),
        "object match[version]=all": _verdict(single_all, _keys([first, last]), None,
                                              _objects(single_all)),
        "versions": _verdict(versions, [V1_SERVED, V2_SERVED], None,
                             _body(versions).get("versions")),
        "manifest": _verdict(manifest, [(target, V2_SERVED), shown_decoy], [shown_decoy],
                             _manifest(manifest)),
        "manifest match[id] all": _verdict(manifest_all, [(target, V1_SERVED),
                                                          (target, V2_SERVED)],
                                           [], _manifest(manifest_all)),
    }


def expected(level: Tlp, reader: str, paths: list[str]) -> dict[str, str]:
    if READER_KINDS[reader][2] is None:
        return dict.fromkeys(paths, "no collection")
    return dict.fromkeys(paths, "seen" if reader in READERS[level] else "hidden")


@pytest.mark.parametrize("variant", list(VARIANTS.values()), ids=list(VARIANTS))
def test_every_reader_on_every_read_path(session: Session, live_server: LiveServer,
                                         variant: Variant) -> None:
    scene = build_scene(session, live_server, variant)
    stored = set(session.scalars(select(StixObject.tlp)
                                 .where(StixObject.stix_id == scene.target_id)))
    assert stored == {variant.level}
    observed = {reader: probe(scene, wire) for reader, wire in scene.wires.items()}
    paths = list(observed["source"])
    assert observed == {reader: expected(variant.level, reader, paths) for reader in observed}


@pytest.mark.parametrize(("first", "later", "amber_sees"), [
    (TLP2["green"], TLP2["amber+strict"], [0]), (TLP1["red"], TLP2["green"], [1])],
    ids=["tightened", "loosened"])
def test_each_version_is_judged_by_its_own_marking(
        session: Session, live_server: LiveServer, first: str, later: str,
        amber_sees: list[int]) -> None:
    """A re-marked version changes who sees that version only (sections 5.6, 5.8); the latest
    is the newest version the reader may see, so a hidden newer one shows no trace."""
    scene = build_scene(session, live_server, Variant((first,), Tlp.CLEAR), (later,))
    target = scene.target_id
    served = [V1_SERVED, V2_SERVED]
    for reader, sees in (("amber", amber_sees), ("red", [0, 1])):
        wire = scene.wires[reader]
        visible = _keys([scene.versions[n] for n in sees])
        assert _objects(wire.get(match_id=target, match_version="all")) == visible
        assert _objects(wire.get(f"objects/{target}/", match_version="all")) == visible
        assert _body(wire.get(f"objects/{target}/versions/"))["versions"] == [
            served[n] for n in sees]
        assert _manifest(wire.get("manifest/", match_id=target, match_version="all")) == [
            (target, served[n]) for n in sees]
        latest = wire.get(f"objects/{target}/")
        assert (latest.status_code, _objects(latest)) == (200, _keys([scene.versions[sees[-1]]]))


def test_red_into_a_collection_without_red_is_refused_per_object(
        session: Session, live_server: LiveServer) -> None:
    owner = make_team(session, "CERT-VN")
    collection = make_collection(session, owner, "No RED here", allows_red=False)
    wire = Wire.of(live_server.url, collection, bearer(make_token(session, make_user(
        session, owner))[1]))
    green, amber = marked((TLP2["green"],)), marked((TLP1["amber"],))
    reds = [marked((TLP2["red"],)), marked((TLP1["red"],)), marked((TLP2["clear"], TLP1["red"]))]
    status = wire.add(green, reds[0], amber, reds[1], reds[2])
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (5, 2, 3)
    assert failures_by_id(status) == {red["id"]: NO_RED for red in reds}
    assert "TLP:RED" in NO_RED
    assert success_ids(status) == [green["id"], amber["id"]]
    served = wire.get().json()["objects"]
    assert served == [green, amber]  # people get objects exactly as stored
    rows = session.scalars(select(StixObject.stix_id).where(
        StixObject.collection_id == collection.id)).all()
    assert sorted(rows) == sorted([green["id"], amber["id"]])
