"""Message threads on the exercise page: players write to other teams and EXCON, EXCON
replies from the console (``exercises.runs.messages``, as the JSON API does)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session
from accord.errors import AccordError
from accord.web import forms
from accord.web.sessions import current_user, login_required
from exercises import access
from exercises.runs import messages

bp = Blueprint("exercise_messages", __name__, url_prefix="/exercises")


def _back(ref: str) -> WerkzeugResponse:
    return redirect(url_for("web.exercises.show", ref=ref) + "#messages", code=303)


@bp.post("/<ref>/threads")
@login_required
def start(ref: str) -> WerkzeugResponse:
    """Open a thread to the ticked teams (and EXCON)."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    try:
        sender = access.message_sender(run, user, forms.text("as") == "excon")
        messages.start_thread(db, run, sender, user, forms.text("subject"),
                              request.form.getlist("to"), forms.text("text"))
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _back(ref)
    db.commit()
    flash("Message sent.", "success")
    return _back(ref)


@bp.post("/<ref>/threads/<thread>/reply")
@login_required
def reply(ref: str, thread: str) -> WerkzeugResponse:
    """Reply in a thread the user's team (or EXCON) is in."""
    db, user = get_session(), current_user()
    run = access.load(db, ref)
    try:
        sender = access.message_sender(run, user, forms.text("as") == "excon")
        found = messages.find_thread(db, run, thread, sender)
        messages.post(db, run, found, sender, user, forms.text("text"))
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _back(ref)
    db.commit()
    flash("Reply sent.", "success")
    return _back(ref)
