"""Sign-in and sign-out pages.

Sign-in reuses :func:`accord.auth.verify_login` (login limits, then the password check), so the
form and HTTP Basic share one failure count and one audit trail.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from accord import auth
from accord.db import get_session
from accord.errors import TooManyRequests, Unauthorized
from accord.models.users import Role
from accord.web import security, sessions

bp = Blueprint("auth", __name__)


@bp.get("/login")
def login() -> str | WerkzeugResponse:
    """The sign-in form (signed-in users go straight on)."""
    if g.get("user") is not None:
        return redirect(sessions.safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""), error=None,
                           transport_warning=_transport_warning())


def _transport_warning() -> str | None:
    """The plain explanation when signing in cannot work over this plain-HTTP address."""
    return security.INSECURE_TRANSPORT if security.cookie_lost_over_http() else None


@bp.post("/login")
def login_submit() -> tuple[str, int] | WerkzeugResponse:
    """Check the password, rotate the session and go on; errors re-render the form."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    db = get_session()
    try:
        user = auth.verify_login(db, username, password, method="web")
        if user.role == Role.SERVICE:
            raise Unauthorized("Service accounts sign in with API tokens, not this form.")
    except (Unauthorized, TooManyRequests) as exc:
        message = "Wrong username or password." if exc.status == 401 else exc.description
        page = render_template("login.html", next=target, error=message, username=username,
                               transport_warning=_transport_warning())
        return page, exc.status
    sessions.start(user)
    return redirect(sessions.safe_next(target))


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    """End the session everywhere (the cookie is refused even if replayed)."""
    sessions.end(get_session())
    return redirect(url_for("web.auth.login"))
