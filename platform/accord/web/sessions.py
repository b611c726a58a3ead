"""Session sign-in: who is signed in, rotation on login, and server-side invalidation on logout.

Flask sessions are signed cookies, so a copied cookie would outlive a logout. Each sign-in
gets a random session id; logout records it in the audit log (``web.logout``) and every
request refuses a session id found there, so a logged-out cookie is dead on every worker.
Each session also carries the user's ``credentials_version`` from sign-in: a password change
or a deactivation bumps it, which ends every session of that user.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from accord import audit
from accord.db import get_session
from accord.errors import Forbidden
from accord.models.audit import AuditEvent
from accord.models.users import Role, User

LOGOUT_ACTION = "web.logout"
SESSION_TARGET = "web_session"

P = ParamSpec("P")
R = TypeVar("R")


def start(user: User) -> None:
    """Rotate the session: drop everything from before sign-in, issue a new session id."""
    session.clear()
    session.permanent = True
    session["uid"] = str(user.id)
    session["sid"] = secrets.token_urlsafe(24)
    session["cv"] = user.credentials_version


def end(db: Session) -> None:
    """Sign out: record the session id as dead, then clear the cookie."""
    sid = session.get("sid")
    if isinstance(sid, str) and g.get("user") is not None:
        audit.record(db, LOGOUT_ACTION, target_type=SESSION_TARGET, target_id=sid)
        db.commit()
    session.clear()


def _is_dead(db: Session, sid: str) -> bool:
    query = select(AuditEvent.id).where(AuditEvent.action == LOGOUT_ACTION,
                                        AuditEvent.target_id == sid).limit(1)
    return db.scalar(query) is not None


def load_user() -> None:
    """Put the signed-in user (or None) on ``g.user`` for views and the audit log."""
    g.user = None
    uid, sid = session.get("uid"), session.get("sid")
    if not isinstance(uid, str) or not isinstance(sid, str):
        return
    db = get_session()
    user_id = _uuid(uid)
    user = db.get(User, user_id) if user_id else None
    if (user is None or not user.active or user.role == Role.SERVICE
            or session.get("cv") != user.credentials_version or _is_dead(db, sid)):
        session.clear()
        return
    g.user = user


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def current_user() -> User:
    """The signed-in user; only call from views behind :func:`login_required`."""
    user: User = g.user
    return user


def safe_next(target: str | None) -> str:
    """A same-site path to return to after sign-in, never an absolute URL."""
    if not target:
        return url_for("web.home.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home.dashboard")
    return target


def login_required(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
    """Send anonymous visitors to the sign-in page, then back here."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
        if g.get("user") is None:
            return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R | WerkzeugResponse]]:
    """Like :func:`login_required`, and 403 unless the user holds one of ``roles`` or is admin."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
            user = g.get("user")
            if user is None:
                return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
            if user.role != Role.ADMIN and user.role not in roles:
                raise Forbidden("This page is for administrators.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def install(bp: Blueprint) -> None:
    """Load the signed-in user before every web request."""
    bp.before_request(load_user)
