"""A small scenario exercising the play features: several answerable actions, a decision, a
joint decision, a deadline counted from another team's action and conditional injects."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.users import User
from exercises.models import Exercise
from exercises.runs import control, job_sync, planning
from exercises.scenarios import library, scenario_format

PLAY_SCENARIO: dict[str, Any] = {
    "title": "Play drill", "version": "1",
    "objectives": [{"id": "O1", "text": "Coordinate"}],
    "teams": [{"id": "lead", "role": "Coordinating CERT"}, {"id": "north", "role": "Partner"},
              {"id": "south", "role": "Partner"}],
    "injects": [
        {"id": "A", "offset": "PT0M", "title": "Ransomware at the port", "expected_actions": [
            {"id": "poc", "text": "Name a point of contact", "deadline": "PT10M",
             "evidence": "response"},
            {"id": "record", "text": "Open an incident record", "deadline": "PT10M",
             "evidence": "response"},
            {"id": "press", "text": "Decide on a press line", "deadline": "PT10M",
             "evidence": "response", "decision_options": ["speak now", "wait"]},
            {"id": "statement", "teams": ["lead", "north"], "text": "Agree a joint statement",
             "deadline": "PT20M", "evidence": "response", "joint": True,
             "decision_options": ["joint statement", "national statements"]},
            {"id": "confirm", "teams": ["north"], "text": "Confirm the lead's contact",
             "deadline": "PT5M", "evidence": "response",
             "deadline_from": {"inject": "A", "action": "poc", "team": "lead"}},
        ]},
        {"id": "B", "title": "Attackers notice the response", "audience": ["lead"],
         "release_on": {"inject": "A", "action": "record", "team": "lead", "outcome": "met",
                        "delay": "PT2M"},
         "expected_actions": [{"id": "ack", "text": "Acknowledge", "deadline": "PT10M",
                               "evidence": "acknowledge"}]},
        {"id": "C", "offset": "PT1H", "title": "South is chased", "audience": ["south"],
         "release_on": {"inject": "A", "action": "poc", "team": "south", "outcome": "missed"}},
    ],
}
PLACEHOLDERS = {"lead": "Lotus CERT", "north": "Baltic CERT", "south": "Andes CERT"}


def scenario(delay: str = "PT2M") -> dict[str, Any]:
    document = copy.deepcopy(PLAY_SCENARIO)
    document["injects"][1]["release_on"]["delay"] = delay
    return document


def running(session: Session, coordinator: User, app: Flask | None = None,
            delay: str = "PT2M", name: str = "Play drill") -> Exercise:
    """Schedule the drill now and release inject A (and sync the jobs when ``app``)."""
    record = library.save(session, scenario_format.parse(yaml.safe_dump(scenario(delay))),
                          replace=True)
    run = planning.schedule_exercise(session, planning.ScheduleRequest(
        scenario=str(record.id), name=name, start=utcnow(), teams=PLACEHOLDERS,
        evaluators=["evaluator"] if _has(session, "evaluator") else []), coordinator)
    control.release_now(session, run, run.injects[0], coordinator)
    session.commit()
    if app is not None:
        job_sync.sync_jobs(app, run.id)
    return run


def _has(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None
