"""The after-action report against a known script of actions, to the second (issue 14).

Three teams in three time zones play a live-speed drill; the clock fixture puts every action
at an exact hub second. The script has a late scheduled release, a five-minute pause, a hold
and unhold, a Release now, acknowledgements before, during and after the pause, a STIX share, a
decision, a partially met manual action and ENDEX. The report's timeline (hub UTC, scenario
time, each team's local time), verdicts, deadlines and delays must match exactly.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.db import utcnow
from exercises.judging import evaluation
from exercises.models import Exercise, ExerciseInject, ExerciseTeam
from exercises.reports import data as report_data
from exercises.reports.markdown import render_markdown
from exercises.runs import control, job_functions, planning, play
from exercises.scenarios import library, scenario_format
from tests.exercises import stixplay
from tests.exercises.conftest import PLACEHOLDERS, World

SCRIPT_SCENARIO = """
title: Scripted drill
version: "1"
duration: PT2H
objectives: [{id: OBJ, text: Coordinate.}]
teams:
  - {id: lead, role: EXCON, timezone: Asia/Ho_Chi_Minh}
  - {id: north, role: Partner, timezone: Europe/Tallinn}
  - {id: south, role: Partner, timezone: America/Santiago}
injects:
  - id: INJ-1
    offset: PT0M
    title: Phishing wave
    expected_actions:
      - {id: ack, text: Acknowledge., deadline: PT15M, objective: OBJ, evidence: acknowledge}
      - {id: share, teams: [lead], text: Share an indicator., deadline: PT30M, objective: OBJ,
         evidence: stix, match: {object: indicator, pattern_contains: 203.0.113.50}}
  - id: INJ-2
    offset: PT30M
    title: Press asks
    audience: [north, south]
    expected_actions:
      - {id: decide, text: Decide., deadline: PT20M, objective: OBJ, evidence: response,
         decision_options: [joint, national]}
  - id: INJ-3
    offset: PT1H
    title: Contingency
    hold: true
    expected_actions:
      - {id: takedown, teams: [lead], text: Take it down., deadline: PT20M, objective: OBJ,
         evidence: manual}
"""


class Script:
    """Puts the hub clock at STARTEX + ``seconds`` before each scripted action."""

    def __init__(self, clock: ManualClock, start: datetime) -> None:
        self.clock, self.start = clock, start

    def at(self, seconds: float) -> None:
        self.clock.advance(self.start + timedelta(seconds=seconds) - self.clock.now())

    def utc(self, seconds: float) -> str:
        return (self.start + timedelta(seconds=seconds)).isoformat()[:19]

    def offset(self, iso: str | None) -> int | None:
        """Whole seconds after STARTEX of an ISO time from the report."""
        if iso is None:
            return None
        return round((datetime.fromisoformat(iso) - self.start).total_seconds())


def _team(run: Exercise, placeholder: str) -> ExerciseTeam:
    return next(t for t in run.teams if t.placeholder == placeholder)


def _inject(run: Exercise, key: str) -> ExerciseInject:
    return next(i for i in run.injects if i.key == key)


def _play_script(session: Session, world: World, clock: ManualClock) -> tuple[Exercise, Script]:
    record = library.save(session, scenario_format.parse(SCRIPT_SCENARIO))
    start = (utcnow() + timedelta(minutes=10)).replace(microsecond=0)
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name="Scripted", start=start, teams=PLACEHOLDERS,
        evaluators=["evaluator"]), world.users["coordinator"])
    session.commit()
    script, ident, coordinator = Script(clock, start), str(run.id), world.users["coordinator"]

    def step(seconds: float) -> Exercise:
        script.at(seconds)
        session.expire_all()
        found = session.get(Exercise, run.id)
        assert found is not None
        return found

    step(0)
    job_functions.start_exercise(ident)  # STARTEX
    step(75)
    job_functions.fire_inject(ident, "INJ-1")  # the scheduler was 75 s late
    r = step(120)
    play.acknowledge(session, r, _inject(r, "INJ-1"), _team(r, "lead"), world.users["lan"])
    session.commit()
    r = step(300)
    play.acknowledge(session, r, _inject(r, "INJ-1"), _team(r, "north"),
                     world.users["kristjan"])
    session.commit()
    control.pause(session, step(600), coordinator)
    session.commit()
    r = step(700)  # acknowledged while paused: met, and its deadline must not move
    play.acknowledge(session, r, _inject(r, "INJ-1"), _team(r, "south"),
                     world.users["valentina"])
    session.commit()
    control.resume(session, step(900), coordinator)
    session.commit()
    r = step(1000)
    stixplay.write(session, r.collection_id, world.users["lan"],
                   [stixplay.indicator("203.0.113.50")])
    r = step(1500)
    control.hold(session, r, _inject(r, "INJ-2"), coordinator)
    session.commit()
    r = step(2000)
    control.unhold(session, r, _inject(r, "INJ-2"), coordinator)
    session.commit()
    step(2100)
    job_functions.fire_inject(ident, "INJ-2")  # due at 1800 + the 300 s pause
    r = step(2400)
    control.release_now(session, r, _inject(r, "INJ-3"), coordinator)
    session.commit()
    r = step(2700)
    play.respond(session, r, _inject(r, "INJ-2"), _team(r, "north"), world.users["kristjan"],
                 "Agreed with partners", "decide", "joint")
    session.commit()
    r = step(2800)
    result = evaluation.find_result(session, r, "INJ-3/takedown/Lotus CERT")
    evaluation.judge(session, r, result, "partially_met", "Request sent, no follow-up",
                     world.users["evaluator"])
    session.commit()
    control.complete(session, step(3000), coordinator)
    session.commit()
    return step(3000), script


def test_report_matches_the_script_to_the_second(app: Flask, bound_app: Flask,
                                                 session: Session, world: World,
                                                 clock: ManualClock) -> None:
    run, s = _play_script(session, world, clock)
    report = report_data.build(session, run)

    events = [(e["kind"], e.get("inject"), e["team"], e.get("action"), e.get("actor"),
               s.offset(e["at"]), e["scenario_time"]) for e in report["timeline"]]
    assert events == [
        ("inject", "INJ-1", None, None, None, 75, "T+00:01:15"),
        ("acknowledge", "INJ-1", "Lotus CERT", None, None, 120, "T+00:02"),
        ("acknowledge", "INJ-1", "Baltic CERT", None, None, 300, "T+00:05"),
        ("control", None, None, "pause", "coordinator", 600, "T+00:10"),
        ("acknowledge", "INJ-1", "Andes CERT", None, None, 700, "T+00:10"),
        ("control", None, None, "resume", "coordinator", 900, "T+00:10"),
        ("stix", None, "Lotus CERT", None, None, 1000, "T+00:11:40"),
        ("control", "INJ-2", None, "hold", "coordinator", 1500, "T+00:20"),
        ("control", "INJ-2", None, "unhold", "coordinator", 2000, "T+00:28:20"),
        ("inject", "INJ-2", None, None, None, 2100, "T+00:30"),
        ("inject", "INJ-3", None, None, None, 2400, "T+00:35"),
        ("control", "INJ-3", None, "release_now", "coordinator", 2400, "T+00:35"),
        ("decision", "INJ-2", "Baltic CERT", "decide", None, 2700, "T+00:40"),
        ("control", None, None, "complete", "coordinator", 3000, "T+00:45"),
    ]
    # Each team's local time beside hub UTC: the same instant, in the team's own offset.
    for event in report["timeline"]:
        for team in run.teams:
            local = datetime.fromisoformat(event["local"][team.team.name])
            zone = zoneinfo.ZoneInfo(team.team.timezone)
            assert s.offset(local.isoformat()) == s.offset(event["at"])
            assert local.utcoffset() == local.astimezone(zone).utcoffset()
    assert {t.team.timezone for t in run.teams} == {"Asia/Ho_Chi_Minh", "Europe/Tallinn",
                                                   "America/Santiago"}

    inj = {e["inject"]: e for e in report["timeline"] if e["kind"] == "inject"}
    assert (inj["INJ-1"]["release_mode"], round(inj["INJ-1"]["delay_seconds"]),
            round(inj["INJ-1"]["late_seconds"])) == ("schedule", 75, 75)
    assert (s.offset(inj["INJ-2"]["planned_at"]), s.offset(inj["INJ-2"]["due_at"])) == (1800,
                                                                                       2100)
    assert (round(inj["INJ-2"]["delay_seconds"]), inj["INJ-2"]["late_seconds"]) == (0, 0.0)
    assert (inj["INJ-3"]["release_mode"], inj["INJ-3"]["released_by"]) == ("manual",
                                                                          "coordinator")
    assert [(r["inject"], round(r["late_seconds"])) for r in report["reliability"][
        "late_releases"]] == [("INJ-1", 75)]

    verdicts = {(e["inject"], e["action"], e["team"]): (e["verdict"], s.offset(e["deadline_at"]),
                                                        s.offset(e["evidence_at"]))
                for e in report["expectations"]}
    assert verdicts == {
        ("INJ-1", "ack", "Lotus CERT"): ("met", 975, 120),
        ("INJ-1", "ack", "Baltic CERT"): ("met", 975, 300),
        # Met during the pause: the deadline stays, whatever was evaluated before resuming.
        ("INJ-1", "ack", "Andes CERT"): ("met", 975, 700),
        ("INJ-1", "share", "Lotus CERT"): ("met", 1875 + 300, 1000),
        ("INJ-2", "decide", "Baltic CERT"): ("met", 3300, 2700),
        ("INJ-2", "decide", "Andes CERT"): ("missed", 3300, None),
        ("INJ-3", "takedown", "Lotus CERT"): ("partially_met", 3600, None),
    }
    metrics = {m["team"]: m["expectations"] for m in report["metrics"]}
    assert (metrics["Lotus CERT"]["met"], metrics["Lotus CERT"]["partially_met"]) == (2, 1)
    assert (metrics["Andes CERT"]["met"], metrics["Andes CERT"]["missed"]) == (1, 1)
    assert round(report["exercise"]["paused_seconds"]) == 300

    text = render_markdown(report)
    assert "| T+00:35 | " + s.utc(2400).replace("T", " ") in text
    assert "EXCON release now INJ-3 by coordinator" in text
    assert "EXCON hold INJ-2 by coordinator" in text and "EXCON unhold INJ-2" in text
    assert "Partially met" in text and "## Hub reliability" in text
    assert "late by 1m 15s" in text


def test_players_see_how_late_an_inject_was_released(app: Flask, bound_app: Flask,
                                                     session: Session, world: World,
                                                     clock: ManualClock) -> None:
    run, _ = _play_script(session, world, clock)
    items: dict[str, Any] = {i["inject"]: i for i in play.inbox(session, run, _team(run, "north"))}
    assert items["INJ-1"]["late"] == "released 1 min late"
    assert items["INJ-2"]["late"] is None  # released on its (pause-shifted) due time
    assert items["INJ-3"]["late"] is None  # released by hand
