"""End to end: the Harbour Lights sample rehearsed at 600x on the real scheduler, three teams
playing through the HTTP API and writing STIX to the exercise collection, EXCON steering, an
evaluator judging, and the after-action report checked field by field."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.scheduler import runner as runner_module
from accord.scheduler.runner import SchedulerRunner
from exercises.runs.marking import run_id
from tests.conftest import LiveServer
from tests.exercises import stixplay
from tests.exercises.conftest import World, import_sample

DOMAIN = "indicator--0cfe34ae-7bb5-4edf-b2f0-f6b822fa1bf0"
SPEED = 600  # three hours of play in eighteen seconds; a PT30M deadline lasts three


@dataclass
class Player:
    """One team's analyst, reacting to its inbox through the API."""

    username: str
    world: World
    base: str
    session: Session
    collection_id: Any = None
    seen: set[str] = field(default_factory=set)
    later: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.base}{path}", timeout=10,
                                    headers=self.world.headers(self.username), **kwargs)
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.json()

    def new_injects(self) -> list[str]:
        inbox = self.call("GET", "/inbox")["injects"]
        fresh = [item["inject"] for item in reversed(inbox) if item["inject"] not in self.seen]
        self.seen.update(fresh)
        return fresh

    def ack(self, inject: str) -> None:
        self.call("POST", f"/injects/{inject}/acknowledge")

    def respond(self, inject: str, **body: Any) -> None:
        self.call("POST", f"/injects/{inject}/responses", json=body)

    def share(self, *objects: dict[str, Any]) -> None:
        stixplay.write(self.session, self.collection_id, self.world.users[self.username],
                       list(objects))

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        self.later.append((time.monotonic() + seconds, action))

    def run_due(self) -> None:
        now = time.monotonic()
        for item in [item for item in self.later if item[0] <= now]:
            self.later.remove(item)
            item[1]()


def _lead(p: Player, inject: str, run: Any) -> None:
    p.ack(inject)
    if inject == "INJ-01":
        p.shared["domain"] = stixplay.indicator("x", pattern="[domain-name:value = "
                                                "'harbour-invoice.example']")
        p.share(p.shared["domain"])
    elif inject == "INJ-03":
        p.respond(inject, text="Lotus leads; bridge call every 30 minutes",
                  action="coordination-plan")
    elif inject == "INJ-04":
        p.respond(inject, decision="joint statement", text="One voice for the region",
                  action="press-decision")
    elif inject == "INJ-07":
        p.share(stixplay.revised(p.shared["domain"], confidence=85))


def _north(p: Player, inject: str, run: Any) -> None:
    p.ack(inject)
    if inject == "INJ-02":
        p.shared["c2"] = stixplay.indicator("198.51.100.23")
        p.share(p.shared["c2"])
    elif inject == "INJ-04":
        p.respond(inject, decision="joint statement", text="Agree", action="press-decision")
    elif inject == "INJ-05":
        p.share(stixplay.revised(p.shared["c2"], revoked=True))


def _south(p: Player, inject: str, run: Any) -> None:
    if inject == "INJ-01":
        p.after(3.6, lambda: p.ack(inject))  # the night shift is slow: late
    else:
        p.ack(inject)
    if inject == "INJ-03":
        p.share(stixplay.sighting(run_id(run, DOMAIN)))
    # INJ-04: no decision recorded (missed)


@pytest.mark.slow
def test_harbour_lights_rehearsal(app: Flask, live_server: LiveServer, session: Session,
                                  world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "WAKE_SECONDS", 0.2)
    scheduler = SchedulerRunner(app, lease_seconds=3, holder="e2e")
    scheduler.start_in_thread()
    api = f"{live_server.url}/api/v1/exercises"
    excon = Player("coordinator", world, api, session)
    try:
        scenario_id = import_sample(session)
        created = excon.call("POST", "", json={
            "scenario": scenario_id, "name": "Harbour Lights rehearsal",
            "start": (utcnow() + timedelta(seconds=1)).isoformat(), "speed": SPEED,
            "rehearsal": True, "teams": {"lead": "Lotus CERT", "north": "Baltic CERT",
                                         "south": "Andes CERT"},
            "evaluators": ["evaluator"], "observers": ["observer"]})
        ident = created["id"]
        run_uuid = uuid.UUID(ident)
        base = f"{api}/{ident}"
        players = {name: Player(name, world, base, session, uuid.UUID(created["collection_id"]))
                   for name in ("lan", "kristjan", "valentina")}
        excon.base = base
        plans = {"lan": _lead, "kristjan": _north, "valentina": _south}
        paused = released_contingency = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for name, player in players.items():
                for inject in player.new_injects():
                    plans[name](player, inject, run_uuid)
                player.run_due()
            if "INJ-05" in players["kristjan"].seen and not paused:
                excon.call("POST", "/pause")
                time.sleep(1.0)
                excon.call("POST", "/resume")
                paused = True
            if paused and not released_contingency:
                excon.call("POST", "/injects/INJ-06/release")
                released_contingency = True
            if excon.call("GET", "")["state"] == "completed":
                break
            time.sleep(0.1)
        status = excon.call("GET", "")
        assert status["state"] == "completed", status
    finally:
        scheduler.stop()

    judge = Player("evaluator", world, base, session)
    for expectation, verdict in (("INJ-06/takedown/Lotus CERT", "met"),
                                 ("INJ-07/hotwash/Lotus CERT", "met"),
                                 ("INJ-07/hotwash/Baltic CERT", "partially_met"),
                                 ("INJ-07/hotwash/Andes CERT", "not_observed")):
        judge.call("POST", f"/expectations/{expectation}/judge",
                   json={"verdict": verdict, "note": "Seen at the hotwash"})
    judge.call("POST", "/ratings", json={"objective": "OBJ-SHARE", "team": "Baltic CERT",
                                         "rating": "P", "note": "C2 shared in minutes"})
    judge.call("POST", "/notes", json={"kind": "observation", "team": "Andes CERT",
                                       "text": "Night shift needed 30 min to acknowledge"})
    excon.call("POST", "/improvements", json={
        "action": "Staff a night duty officer for joint drills", "owner_team": "Andes CERT",
        "due_date": "2027-02-01", "objective": "OBJ-SHARE"})

    report = Player("observer", world, base, session).call("GET", "/report")
    verdicts = {(e["inject"], e["action"], e["team"]): e["verdict"]
                for e in report["expectations"]}
    assert verdicts == {
        ("INJ-01", "ack", "Lotus CERT"): "met",
        ("INJ-01", "ack", "Baltic CERT"): "met",
        ("INJ-01", "ack", "Andes CERT"): "late",
        ("INJ-01", "share-domain", "Lotus CERT"): "met",
        ("INJ-02", "share-c2", "Baltic CERT"): "met",
        ("INJ-03", "sight-domain", "Andes CERT"): "met",
        ("INJ-03", "coordination-plan", "Lotus CERT"): "met",
        ("INJ-04", "press-decision", "Lotus CERT"): "met",
        ("INJ-04", "press-decision", "Baltic CERT"): "met",
        ("INJ-04", "press-decision", "Andes CERT"): "missed",
        ("INJ-05", "revoke-c2", "Baltic CERT"): "met",
        ("INJ-06", "takedown", "Lotus CERT"): "met",
        ("INJ-07", "revise-domain", "Lotus CERT"): "met",
        ("INJ-07", "hotwash", "Lotus CERT"): "met",
        ("INJ-07", "hotwash", "Baltic CERT"): "partially_met",
        ("INJ-07", "hotwash", "Andes CERT"): "not_observed",
    }
    assert report["exercise"]["rehearsal"] is True and report["exercise"]["speed"] == SPEED
    assert report["exercise"]["paused_seconds"] >= 1.0
    assert report["overview"]["injects"]["released"] == 7
    assert report["overview"]["evaluators"] == ["evaluator"]
    assert report["overview"]["observers"] == ["observer"]
    injects = {e["inject"]: e for e in report["timeline"] if e["kind"] == "inject"}
    assert injects["INJ-06"]["release_mode"] == "manual"
    assert {injects[k]["release_mode"] for k in injects if k != "INJ-06"} == {"schedule"}
    assert injects["INJ-07"]["due_at"] > injects["INJ-07"]["planned_at"]  # shifted by pause
    controls = [e["action"] for e in report["timeline"] if e["kind"] == "control"]
    assert controls == ["pause", "resume", "release_now", "complete"]  # INJ-06 by hand
    stix = [e for e in report["timeline"] if e["kind"] == "stix"]
    assert [(e["team"], e["stix_type"], e["revoked"], e["new_version"]) for e in stix] == [
        ("Lotus CERT", "indicator", False, False), ("Baltic CERT", "indicator", False, False),
        ("Andes CERT", "sighting", False, False), ("Baltic CERT", "indicator", True, True),
        ("Lotus CERT", "indicator", False, True)]
    metrics = {m["team"]: m for m in report["metrics"]}
    assert metrics["Lotus CERT"]["injects_received"] == 5  # all but INJ-02 and INJ-05
    assert metrics["Baltic CERT"]["injects_received"] == 6  # all but INJ-03
    assert metrics["Andes CERT"]["injects_received"] == 5
    assert metrics["Andes CERT"]["time_to_acknowledge"]["max_seconds"] > 3.0
    assert metrics["Baltic CERT"]["stix_objects"] == 2
    assert metrics["Lotus CERT"]["expectations"]["met"] == 7
    assert metrics["Andes CERT"]["expectations"] == {
        "total": 4, "pending": 0, "met": 1, "late": 1, "missed": 1, "partially_met": 0,
        "not_met": 0, "not_observed": 1}
    objectives = {o["id"]: {t["team"]: t for t in o["teams"]} for o in report["objectives"]}
    assert objectives["OBJ-SHARE"]["Baltic CERT"]["score"] == 1.0
    assert objectives["OBJ-SHARE"]["Baltic CERT"]["rating"] == "P"
    assert objectives["OBJ-SHARE"]["Andes CERT"]["score"] == round((0.5 * 1 + 2) / 3, 3)
    assert objectives["OBJ-COORD"]["Andes CERT"]["score"] == 0.0
    assert report["improvement_plan"][0]["owner_team"] == "Andes CERT"
    assert report["observations"][0]["text"].startswith("Night shift")
    markdown = requests.get(f"{base}/report?format=markdown", timeout=10,
                            headers=world.headers("coordinator")).text
    assert "| Andes CERT | south |" in markdown and "rehearsal at ×600" in markdown
    assert "Staff a night duty officer for joint drills" in markdown
