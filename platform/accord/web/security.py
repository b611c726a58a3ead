"""Web security: CSRF tokens on every form, security headers, session cookie settings.

CSRF uses the synchronizer-token pattern (OWASP CSRF cheat sheet): one random token per
session, sent in a hidden ``csrf_token`` field and compared in constant time on every
state-changing request.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Blueprint, Response, current_app, request, session
from flask.blueprints import BlueprintSetupState
from flask.sansio.app import App

from accord.errors import BadRequest

CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


INSECURE_TRANSPORT = (
    "This hub sends its sign-in cookie only over HTTPS (ACCORD_SESSION_COOKIE_SECURE is on), "
    "but this page was opened over plain HTTP, so your browser will not keep you signed in. "
    "Open the hub through https://, or, on a trusted network only, set "
    "ACCORD_SESSION_COOKIE_SECURE=false and restart it.")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def cookie_lost_over_http() -> bool:
    """True when the browser will drop the Secure session cookie: plain HTTP to a host that
    is not loopback (browsers treat http://localhost and 127.0.0.1 as secure contexts)."""
    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.scheme == "https":
        return False
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return host.lower() not in _LOOPBACK_HOSTS and not host.startswith("127.")


def check_csrf() -> None:
    """400 unless a state-changing request carries the session's CSRF token."""
    if request.method in _SAFE_METHODS:
        return
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, sent):
        if not isinstance(expected, str) and cookie_lost_over_http():
            raise BadRequest(INSECURE_TRANSPORT)
        raise BadRequest("The form's security token is missing or stale; reload the page and "
                         "try again.")


def add_security_headers(response: Response) -> Response:
    """Security headers on every response (API and TAXII too: they are harmless there)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.blueprint and request.blueprint.startswith("web"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def configure_cookies(app: App) -> None:
    """Session cookie: HttpOnly, SameSite=Lax; Secure as configured (see accord.config)."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))


def _on_register(state: BlueprintSetupState) -> None:
    configure_cookies(state.app)
    state.app.jinja_env.globals["csrf_token"] = csrf_token


def install(bp: Blueprint) -> None:
    """Wire CSRF checking, headers and cookie settings onto the web blueprint."""
    bp.record_once(_on_register)
    bp.before_request(check_csrf)
    bp.after_app_request(add_security_headers)
