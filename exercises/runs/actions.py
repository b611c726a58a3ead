"""The actions EXCON takes on a live run, in one table the API, the CLI and the web share.

Run actions act on the whole exercise (pause, resume, cancel, complete); inject actions on one
inject (release now, hold, unhold, skip). Each entry names the :mod:`exercises.runs.control`
function that does the work, so every interface offers exactly the same actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from accord.errors import BadRequest
from accord.models.users import User
from exercises.models import Exercise, ExerciseInject
from exercises.runs import control


@dataclass(frozen=True)
class RunAction:
    """An action on the whole run."""

    name: str
    summary: str
    apply: Callable[[Session, Exercise, User | None], Any]
    cli_name: str = ""

    @property
    def command(self) -> str:
        return self.cli_name or self.name


@dataclass(frozen=True)
class InjectAction:
    """An action on one inject of the run."""

    name: str
    summary: str
    apply: Callable[[Session, Exercise, ExerciseInject, User | None], Any]


RUN_ACTIONS: dict[str, RunAction] = {action.name: action for action in (
    RunAction("pause", "Pause the clock; later injects shift by the pause.", control.pause),
    RunAction("resume", "Resume a paused exercise.", control.resume),
    RunAction("cancel", "Cancel the exercise; nothing more is released.", control.cancel),
    RunAction("complete", "ENDEX now: close play and finalise automatic verdicts.",
              control.complete, cli_name="end"),
)}

INJECT_ACTIONS: dict[str, InjectAction] = {action.name: action for action in (
    InjectAction("release", "Release an inject now (even if held).", control.release_now),
    InjectAction("hold", "Hold an inject for manual release.", control.hold),
    InjectAction("unhold", "Return a held inject to the schedule.", control.unhold),
    InjectAction("skip", "Skip an inject in this run.", control.skip),
)}


def run_action(name: str) -> RunAction:
    """The run action called ``name``; a 400 naming the choices otherwise."""
    if name not in RUN_ACTIONS:
        raise BadRequest(f"action: {name!r} is not one of {', '.join(RUN_ACTIONS)}")
    return RUN_ACTIONS[name]


def inject_action(name: str) -> InjectAction:
    """The inject action called ``name``; a 400 naming the choices otherwise."""
    if name not in INJECT_ACTIONS:
        raise BadRequest(f"action: {name!r} is not one of {', '.join(INJECT_ACTIONS)}")
    return INJECT_ACTIONS[name]
