"""A user's own API tokens: create (secret shown once) and revoke."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from accord.db import get_session
from accord.errors import AccordError, NotFound
from accord.models.users import Scope
from accord.services import tokens
from accord.web import forms
from accord.web.sessions import current_user, login_required

bp = Blueprint("tokens", __name__, url_prefix="/tokens")
SCOPES = [scope.value for scope in Scope]


def _page(secret: str | None = None, status: int = 200) -> tuple[str, int]:
    user = current_user()
    mine = tokens.list_tokens(get_session(), user.username)
    return render_template("tokens.html", tokens=mine, scopes=SCOPES, secret=secret), status


@bp.get("/")
@login_required
def index() -> tuple[str, int]:
    """The user's tokens, newest last."""
    return _page()


@bp.post("/")
@login_required
def create() -> tuple[str, int]:
    """Issue a token and show its secret on this response only (never stored, never again)."""
    db = get_session()
    user = current_user()
    try:
        scopes = [scope for scope in SCOPES if forms.checked(f"scope_{scope}")]
        _token, secret = tokens.create_token(db, user.username, forms.text("name"), scopes,
                                             expires_in_days=forms.optional_float("expires_days"))
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _page(status=exc.status)
    db.commit()
    return _page(secret=secret)


@bp.post("/<token_id>/revoke")
@login_required
def revoke(token_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Revoke one of the user's own tokens; others' tokens look like they do not exist."""
    db = get_session()
    try:
        token = tokens.find_token(db, token_id)
        if token.user_id != current_user().id:
            raise NotFound(f"unknown token {token_id!r}")
        tokens.revoke_token(db, str(token.id))
    except AccordError as exc:
        db.rollback()
        forms.flash_error(exc)
        return _page(status=exc.status)
    db.commit()
    return redirect(url_for("web.tokens.index"))
