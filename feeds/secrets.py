"""Feed credentials encrypted at rest (Fernet) and never shown in full.

The key is ``ACCORD_FEEDS_KEY`` (a Fernet key) when set, otherwise derived from
``ACCORD_SECRET_KEY`` with HKDF-SHA256, so a hub needs no extra setting to keep secrets safe.
Rotating the secret key makes stored credentials unreadable; :func:`decrypt` then says so.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from accord.errors import BadRequest, Conflict

HKDF_INFO = b"accord feeds credentials v1"
AUTH_KINDS = ("none", "basic", "bearer")


@dataclass(frozen=True)
class Credentials:
    """Remote credentials: basic (username + password) or bearer (token)."""

    kind: str = "none"
    username: str | None = None
    password: str | None = None
    token: str | None = None

    def masked(self) -> dict[str, Any]:
        """What may be shown: the kind, the username, and that a secret is set."""
        return {"auth": self.kind, "username": self.username,
                "secret": mask(self.password or self.token)}

    def __repr__(self) -> str:  # never leak secrets through logs or tracebacks
        return f"Credentials(kind={self.kind!r}, username={self.username!r}, secret=***)"


def mask(secret: str | None) -> str | None:
    """``****ab12`` style: enough to recognise a secret, never enough to use it."""
    if not secret:
        return None
    return "****" + (secret[-4:] if len(secret) >= 12 else "")


def fernet(app: Flask) -> Fernet:
    """The cipher for this hub's feed credentials."""
    dedicated = app.config.get("FEEDS_KEY")
    if dedicated:
        try:
            return Fernet(str(dedicated).encode())
        except ValueError:
            raise Conflict("ACCORD_FEEDS_KEY is not a valid Fernet key (32 url-safe base64 bytes)"
                           ) from None
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        str(app.config["SECRET_KEY"]).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def make_credentials(kind: str, username: str | None, secret: str | None) -> Credentials:
    """Validate and build credentials from API/CLI input."""
    if kind not in AUTH_KINDS:
        raise BadRequest(f"auth must be one of {', '.join(AUTH_KINDS)}, not {kind!r}")
    if kind == "basic":
        if not username or not secret:
            raise BadRequest("basic auth needs a username and a password")
        return Credentials("basic", username=username, password=secret)
    if kind == "bearer":
        if not secret:
            raise BadRequest("bearer auth needs a token")
        return Credentials("bearer", token=secret)
    return Credentials()


def encrypt(app: Flask, credentials: Credentials) -> str | None:
    """The Fernet token stored in ``FeedSource.secret`` (None for no credentials)."""
    if credentials.kind == "none":
        return None
    payload = {"kind": credentials.kind, "username": credentials.username,
               "password": credentials.password, "token": credentials.token}
    return fernet(app).encrypt(json.dumps(payload).encode()).decode()


def decrypt(app: Flask, stored: str | None) -> Credentials:
    """Credentials back from their stored token; a clear error if the key changed."""
    if not stored:
        return Credentials()
    try:
        payload = json.loads(fernet(app).decrypt(stored.encode()))
    except InvalidToken:
        raise Conflict("stored feed credentials cannot be decrypted: the secret key changed; "
                       "set the credentials again") from None
    return Credentials(payload["kind"], payload.get("username"), payload.get("password"),
                       payload.get("token"))


def describe_stored(app: Flask, stored: str | None) -> dict[str, Any]:
    """The masked view of stored credentials; says so if they cannot be decrypted."""
    try:
        return decrypt(app, stored).masked()
    except Conflict as exc:
        return {"auth": "unknown", "username": None, "secret": None, "error": exc.description}
