"""Configuration: defaults, then the hub's ``accord.toml``, then ``ACCORD_*`` environment
variables, then overrides.

The config file is the one way a CLI finds its hub: ``ACCORD_CONFIG`` (or ``accord --config``)
names it, else ``accord.toml`` in the instance folder is used when present. ``accord demo``
writes one with its database URL and secret key.

Validation happens once, in :func:`validate`, so a misconfigured hub stops at start with one
clear message instead of failing on the first request.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULTS: dict[str, Any] = {
    # "production" refuses to start without an explicit secret; "development" and "demo" may
    # generate one (and say so).
    "ENV": "production",
    "DATABASE_URL": None,  # None means SQLite in the instance folder
    "SECRET_KEY": None,
    "INSTANCE_PATH": None,
    "MIGRATIONS_DIR": None,
    # The hub's external base URL (e.g. https://hub.cert.example); None means "from the request".
    "PUBLIC_URL": None,
    # TAXII
    "TAXII_TITLE": "Accord TAXII 2.1",
    "TAXII_DESCRIPTION": "Cyber cooperation hub for CERTs and their partners",
    "TAXII_CONTACT": None,
    "TAXII_API_ROOTS": ["api"],
    "TAXII_DEFAULT_API_ROOT": "api",
    "TAXII_MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "TAXII_PAGE_SIZE": 1000,
    "TAXII_DEFAULT_TLP": "amber",
    # Envelopes with more objects than this are answered "pending" and ingested by workers
    # (`accord worker`, or the scheduler); 0 keeps every add synchronous.
    "TAXII_ASYNC_OBJECTS": 0,
    "TAXII_ASYNC_CHUNK": 500,
    # Longest request URI answered (414 above it): 500 ids of up to 90 characters in match[id]
    "MAX_URL_LENGTH": 48 * 1024,
    # The name recipients see instead of a source team that must not be named (IEP 2.0
    # ``attribution: must-not``); the hub's STIX identity is derived from it.
    "HUB_NAME": "Accord hub",
    # Authentication
    "LOGIN_FAILURE_WINDOW_SECONDS": 300,
    "LOGIN_FAILURES_PER_USER": 10,  # per username from one source address
    "LOGIN_FAILURES_PER_ADDRESS": 30,
    "LOGIN_FAILURES_PER_USER_ANYWHERE": 300,  # per username from all addresses together
    "TOKEN_TOUCH_INTERVAL_SECONDS": 60,
    "CREDENTIAL_CACHE_SECONDS": 60,  # how long a successful password check is reused; 0: never
    "CREDENTIAL_CACHE_SIZE": 1024,
    # Reverse proxies whose X-Forwarded-* headers are believed (see accord.proxies)
    "TRUSTED_PROXIES": None,
    # Send the web session cookie only over HTTPS; None means "on, except in development and
    # tests". Turn it off (ACCORD_SESSION_COOKIE_SECURE=false) only for plain HTTP on a
    # trusted network.
    "SESSION_COOKIE_SECURE": None,
    # Scheduler
    "SCHEDULER_EMBEDDED": False,
    "SCHEDULER_TIMEZONE": "UTC",
}

VALID_ENVS = ("production", "development", "demo", "testing")


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run a hub; the message says what to fix."""


CONFIG_FILE_NAME = "accord.toml"


def config_file(overrides: Mapping[str, Any] | None = None) -> Path | None:
    """The config file to read: ``ACCORD_CONFIG`` if set (it must exist), else ``accord.toml``
    in the instance folder (from the overrides, ``ACCORD_INSTANCE_PATH`` or ``./instance``)."""
    named = os.environ.get("ACCORD_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"ACCORD_CONFIG names {path}, which is not a file")
        return path
    instance = (overrides or {}).get("INSTANCE_PATH") or os.environ.get("ACCORD_INSTANCE_PATH")
    candidate = Path(instance or Path.cwd() / "instance") / CONFIG_FILE_NAME
    return candidate if candidate.is_file() else None


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML file: ``KEY = value`` with the names of the ``ACCORD_*`` variables
    without their prefix (``database_url`` or ``DATABASE_URL``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the config file {path} is not valid TOML: {exc}") from None
    return {key.upper().removeprefix("ACCORD_"): value for key, value in data.items()}


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the config file, the environment and ``overrides``
    (in that order)."""
    app.config.from_mapping(DEFAULTS)
    path = config_file(overrides)
    if path is not None:
        app.config.update(read_config_file(path))
        app.config["CONFIG_FILE"] = str(path)
    app.config.from_prefixed_env("ACCORD")
    if overrides:
        app.config.update(overrides)


def validate(app: Flask) -> list[str]:
    """Check and complete the configuration; return notices to show the operator.

    Raises :class:`ConfigError` on anything that cannot work.
    """
    notices: list[str] = []
    config = app.config
    env = config["ENV"]
    if env not in VALID_ENVS:
        raise ConfigError(f"ACCORD_ENV must be one of {', '.join(VALID_ENVS)}, not {env!r}")
    if config.get("TESTING"):
        env = config["ENV"] = "testing"

    instance = Path(config["INSTANCE_PATH"] or Path.cwd() / "instance")
    config["INSTANCE_PATH"] = str(instance)

    if not config["SECRET_KEY"]:
        if env == "production":
            raise ConfigError(
                "ACCORD_SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or set ACCORD_ENV=development for a throw-away key."
            )
        config["SECRET_KEY"] = secrets.token_urlsafe(48)
        notices.append(
            f"No ACCORD_SECRET_KEY set: using a generated key ({env} mode only). "
            "Sessions and encrypted feed credentials will not survive a restart."
        )
    elif len(str(config["SECRET_KEY"])) < 16:
        raise ConfigError("ACCORD_SECRET_KEY is too short: use at least 16 characters")

    if not config["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{instance / 'accord.sqlite3'}"
    url = str(config["DATABASE_URL"])
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    config["DATABASE_URL"] = _check_database_url(url)

    for key in ("TAXII_MAX_CONTENT_LENGTH", "TAXII_PAGE_SIZE", "MAX_URL_LENGTH",
                "LOGIN_FAILURE_WINDOW_SECONDS", "LOGIN_FAILURES_PER_USER",
                "LOGIN_FAILURES_PER_ADDRESS", "LOGIN_FAILURES_PER_USER_ANYWHERE"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] <= 0:
            raise ConfigError(f"ACCORD_{key} must be a positive integer")
    for key in ("CREDENTIAL_CACHE_SECONDS", "CREDENTIAL_CACHE_SIZE"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] < 0:
            raise ConfigError(f"ACCORD_{key} must be a whole number (0 turns the cache off)")
    if config["TAXII_DEFAULT_TLP"] not in ("clear", "green", "amber", "amber+strict", "red"):
        raise ConfigError(
            "ACCORD_TAXII_DEFAULT_TLP must be clear, green, amber, amber+strict or red")
    config["PUBLIC_URL"] = _check_public_url(config["PUBLIC_URL"])
    config["SESSION_COOKIE_SECURE"] = _check_cookie_secure(config["SESSION_COOKIE_SECURE"], env)
    return notices


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _check_cookie_secure(value: object, env: str) -> bool:
    """The session cookie's Secure flag: explicit, else on outside development and tests."""
    if value is None or value == "":
        return env not in ("development", "testing")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError("ACCORD_SESSION_COOKIE_SECURE must be true or false, "
                      f"not {str(value)[:40]!r}")


def _check_public_url(value: object) -> str | None:
    """The external base URL without a trailing slash, or None when unset.

    TAXII discovery names API roots by absolute URL (section 4.1), so a wrong base would send
    every client elsewhere: only an absolute http(s) URL without query or fragment is accepted.
    """
    if value is None or value == "":
        return None
    text = str(value).strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ConfigError("ACCORD_PUBLIC_URL must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"ACCORD_PUBLIC_URL is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("ACCORD_PUBLIC_URL must be an absolute http:// or https:// URL "
                          f"such as https://hub.cert.example, not {text[:100]!r}")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ConfigError("ACCORD_PUBLIC_URL must not have a query or fragment: "
                          f"{text[:100]!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("ACCORD_PUBLIC_URL must not contain credentials")
    return text.rstrip("/")


def _check_database_url(url: str) -> str:
    """``url`` if SQLAlchemy can parse it and Accord supports its backend, else ConfigError."""
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError("ACCORD_DATABASE_URL must be a sqlite:/// or postgresql:// URL, "
                          f"not {url.split(':')[0]!r}")
    try:
        make_url(url)
    except (ArgumentError, ValueError) as exc:  # e.g. a port that is not a number
        raise ConfigError(f"ACCORD_DATABASE_URL is not a valid database URL ({exc})") from None
    return url
