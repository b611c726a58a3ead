"""Message threads between teams and with EXCON (``exercises.runs.messages``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from accord.errors import BadRequest
from exercises import access
from exercises.api.common import body, bp, caller, exercise, session, text_field
from exercises.models import Exercise
from exercises.runs import messages


def _sender(run: Exercise, data: dict[str, Any]) -> str:
    as_excon = data.get("as", "team")
    if as_excon not in ("team", "excon"):
        raise BadRequest("as: must be 'team' or 'excon'")
    return access.message_sender(run, caller().user, as_excon == "excon")


def _zone() -> str:
    return caller().user.team.timezone


@bp.get("/<ref>/threads")
def list_threads(ref: str) -> ResponseReturnValue:
    """The threads the caller's team is in (every thread for EXCON and staff)."""
    run = exercise(ref)
    scope = access.message_scope(run, caller().user)
    return jsonify(threads=[messages.thread_view(run, t, _zone())
                            for t in messages.threads(session(), run, scope)])


@bp.post("/<ref>/threads")
def start_thread(ref: str) -> ResponseReturnValue:
    """Open a thread: ``subject``, ``to`` (teams or ``excon``), ``text``."""
    run = exercise(ref)
    data = body()
    sender = _sender(run, data)
    to = data.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not all(isinstance(item, str) for item in to):
        raise BadRequest("to: a list of team names, placeholders or 'excon'")
    thread = messages.start_thread(session(), run, sender, caller().user,
                                   text_field(data, "subject", required=True), to,
                                   text_field(data, "text", required=True))
    session().commit()
    return jsonify(messages.thread_view(run, thread, _zone())), 201


@bp.get("/<ref>/threads/<thread>")
def show_thread(ref: str, thread: str) -> ResponseReturnValue:
    run = exercise(ref)
    found = messages.find_thread(session(), run, thread,
                                 access.message_scope(run, caller().user))
    return jsonify(messages.thread_view(run, found, _zone()))


@bp.post("/<ref>/threads/<thread>/messages")
def reply_thread(ref: str, thread: str) -> ResponseReturnValue:
    """Reply in a thread the caller's team (or EXCON, with ``as: excon``) is in."""
    run = exercise(ref)
    data = body()
    sender = _sender(run, data)
    found = messages.find_thread(session(), run, thread, sender)
    messages.post(session(), run, found, sender, caller().user,
                  text_field(data, "text", required=True))
    session().commit()
    return jsonify(messages.thread_view(run, found, _zone())), 201

