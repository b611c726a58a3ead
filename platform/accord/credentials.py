"""Password hashing (argon2id) and API token minting/hashing.

Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to store them safely and lets
the hub look a token up by its hash in one indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "acd_"
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps an unknown user's login as slow as a known one's.

    Made on first use, not at import (no work at import time)."""
    return _hasher.hash("accord-timing-equaliser")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; spends the same effort when there is no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token: ``acd_`` followed by 43 URL-safe characters."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(secret: str) -> bool:
    """Whether a Basic-auth password is really an API token."""
    return secret.startswith(TOKEN_PREFIX) and len(secret) > 20


def fingerprint(key: str, purpose: str, value: str) -> str:
    """A keyed hash (HMAC-SHA256, hex) of ``value`` for ``purpose``: equal values match, but
    without ``key`` (the app secret) nobody can test guesses against it, so it is safe to
    store where the value itself (perhaps a password or token) must never be."""
    message = f"{purpose}\0{value}".encode("utf-8", "surrogatepass")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
