"""A short-lived cache of successful password checks, so Basic auth on every TAXII page does not
pay an argon2 verification each time (issue 12).

TAXII clients (taxii2-client, OpenCTI and MISP connectors) send Basic credentials with every
request. After one successful argon2 check, the same username and password are accepted for
``CREDENTIAL_CACHE_SECONDS`` (60 by default) without it. Safety:

- the key is a keyed hash (HMAC with the app secret) of username and password, so the cache
  holds no password and a memory dump cannot be tested against guesses without the secret;
- only successes are cached; a wrong password always goes through the login limits and argon2;
- each entry records the user's ``credentials_version``; the lookup that loads the user compares
  it, so a password change or a deactivation (which bump it) ends the entry at once, in every
  process;
- the cache is per process, bounded (``CREDENTIAL_CACHE_SIZE`` entries, oldest dropped first).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from accord import clock as hub_clock
from accord.credentials import fingerprint

EXTENSION = "accord.credential_cache"


def hub_seconds() -> float:
    """Now on the hub's clock (:mod:`accord.clock`, which tests move), in seconds."""
    return hub_clock.now().timestamp()


@dataclass(frozen=True)
class Verified:
    """A password check that succeeded: whose, at which credentials version, until when."""

    user_id: uuid.UUID
    credentials_version: int
    expires: float


class CredentialCache:
    """A bounded, thread-safe map of credential fingerprint to :class:`Verified`."""

    def __init__(self, ttl: float, size: int,
                 clock: Callable[[], float] = hub_seconds) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: OrderedDict[str, Verified] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.size > 0

    def get(self, key: str) -> Verified | None:
        """The live entry for ``key``, if any (an expired one is dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires <= self.clock():
                del self._entries[key]
                return None
            return entry

    def put(self, key: str, user_id: uuid.UUID, credentials_version: int) -> None:
        """Remember a success for ``ttl`` seconds, evicting the oldest entries past ``size``."""
        if not self.enabled:
            return
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = Verified(user_id, credentials_version, self.clock() + self.ttl)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


def for_app(app: Flask | None = None) -> CredentialCache:
    """The cache of ``app`` (default: the current app), made on first use."""
    target = app if app is not None else current_app
    cache = target.extensions.get(EXTENSION)
    if cache is None:
        cache = target.extensions.setdefault(EXTENSION, CredentialCache(
            float(target.config["CREDENTIAL_CACHE_SECONDS"]),
            int(target.config["CREDENTIAL_CACHE_SIZE"])))
    assert isinstance(cache, CredentialCache)
    return cache


def cache_key(username: str, password: str) -> str:
    """The keyed hash a username and password are cached under."""
    return fingerprint(str(current_app.config["SECRET_KEY"]), "credential-cache",
                       f"{username}\0{password}")
