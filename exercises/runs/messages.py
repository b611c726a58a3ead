"""Message threads between the teams of a run, and with EXCON.

A thread has a subject and participants: scenario placeholders of teams, plus ``excon`` when
the exercise control team is addressed. Players read and write only the threads their team is
in; EXCON, evaluators and observers read every thread in the console, and EXCON's
coordinators write as ``excon`` in threads addressed to it. Every message is audited and kept
with its author and the hub's time, and the report timeline reads them back
(:func:`timeline_entries`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.errors import BadRequest, Conflict, NotFound
from accord.models.users import User
from exercises.models import Exercise, ExerciseMessage, ExerciseState, ExerciseThread
from exercises.runs.planning import local_iso

EXCON = "excon"
OPEN = (ExerciseState.RUNNING, ExerciseState.PAUSED)
MAX_SUBJECT = 200
MAX_TEXT = 20000


def _names(exercise: Exercise) -> dict[str, str]:
    """Placeholder (or ``excon``) -> the name shown to people."""
    names = {team.placeholder: team.team.name for team in exercise.teams}
    names[EXCON] = f"EXCON ({exercise.owner_team.name})"
    return names


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise BadRequest(f"{field}: must not be empty")
    if len(value) > limit:
        raise BadRequest(f"{field}: longer than {limit} characters")
    return value


def _require_open(exercise: Exercise) -> None:
    if exercise.state not in OPEN:
        raise Conflict(f"exercise {exercise.name!r} is {exercise.state.value}; "
                       "messages are for the time of play")


def threads(session: Session, exercise: Exercise, sender: str | None) -> list[ExerciseThread]:
    """Threads ``sender`` (a placeholder) is in; every thread for ``None`` (EXCON and staff)."""
    rows = session.scalars(select(ExerciseThread).where(
        ExerciseThread.exercise_id == exercise.id).order_by(ExerciseThread.created_at))
    return [t for t in rows if sender is None or sender in t.participants]


def find_thread(session: Session, exercise: Exercise, ref: str, sender: str | None
                ) -> ExerciseThread:
    """A thread by id, visible to ``sender`` (404 otherwise, so others' threads do not leak)."""
    try:
        thread = session.get(ExerciseThread, uuid.UUID(ref))
    except ValueError:
        thread = None
    if (thread is None or thread.exercise_id != exercise.id
            or (sender is not None and sender not in thread.participants)):
        raise NotFound(f"no message thread {ref!r} in exercise {exercise.name!r}")
    return thread


def start_thread(session: Session, exercise: Exercise, sender: str, user: User, subject: str,
                 to: list[str], text: str) -> ExerciseThread:
    """Open a thread from ``sender`` to teams (placeholders or team names) and/or ``excon``."""
    _require_open(exercise)
    subject = _text(subject, "subject", MAX_SUBJECT)
    names = _names(exercise)
    by_name = {name.lower(): key for key, name in names.items()}
    by_name.update({team.team.name.lower(): team.placeholder for team in exercise.teams})
    participants = [sender]
    for entry in to:
        key = entry if entry in names else by_name.get(str(entry).strip().lower())
        if key is None:
            raise BadRequest(f"to: {entry!r} is not a team of this exercise nor 'excon' "
                             f"(use one of {', '.join(sorted(names))})")
        if key not in participants:
            participants.append(key)
    if len(participants) < 2:
        raise BadRequest("to: name at least one other team or 'excon'")
    thread = ExerciseThread(exercise_id=exercise.id, subject=subject, participants=participants,
                            started_by=user.username)
    session.add(thread)
    session.flush()
    post(session, exercise, thread, sender, user, text)
    return thread


def post(session: Session, exercise: Exercise, thread: ExerciseThread, sender: str, user: User,
         text: str) -> ExerciseMessage:
    """Add a message (a reply when the thread already has some) and audit it."""
    _require_open(exercise)
    if sender not in thread.participants:
        raise NotFound(f"no message thread {str(thread.id)!r} in exercise {exercise.name!r}")
    message = ExerciseMessage(thread_id=thread.id, exercise_id=exercise.id, sender=sender,
                              user_id=user.id, author=user.username,
                              text=_text(text, "text", MAX_TEXT))
    session.add(message)
    session.flush()
    audit.record(session, "exercise.message.post", actor=user, target_type="exercise",
                 target_id=exercise.id,
                 details={"thread": str(thread.id), "subject": thread.subject, "from": sender,
                          "to": [p for p in thread.participants if p != sender],
                          "reply": len(thread.messages) > 1})
    return message


def thread_view(exercise: Exercise, thread: ExerciseThread, timezone: str) -> dict[str, Any]:
    """A JSON-ready thread with its messages, times also in the reader's time zone."""
    names = _names(exercise)
    return {
        "id": str(thread.id), "subject": thread.subject,
        "participants": [{"id": p, "name": names.get(p, p)} for p in thread.participants],
        "started_by": thread.started_by, "created_at": thread.created_at.isoformat(),
        "messages": [{
            "id": str(m.id), "from": m.sender, "from_name": names.get(m.sender, m.sender),
            "author": m.author, "text": m.text, "created_at": m.created_at.isoformat(),
            "created_at_local": local_iso(m.created_at, timezone),
        } for m in thread.messages],
    }


def timeline_entries(session: Session, exercise: Exercise) -> list[dict[str, Any]]:
    """Every message of the run as report timeline entries, oldest first."""
    names = _names(exercise)
    rows = session.scalars(select(ExerciseMessage).where(
        ExerciseMessage.exercise_id == exercise.id).order_by(ExerciseMessage.created_at))
    entries = []
    for message in rows:
        thread = message.thread
        to = [names.get(p, p) for p in thread.participants if p != message.sender]
        entries.append({
            "at": message.created_at.isoformat(), "kind": "message",
            "team": names.get(message.sender, message.sender), "author": message.author,
            "text": f"[{thread.subject}] to {', '.join(to)}: {message.text}",
            "thread": str(thread.id), "inject": None, "action": None, "decision": None,
        })
    return entries
