"""Trusted reverse proxies (``ACCORD_TRUSTED_PROXIES``): the real client behind them.

Behind nginx or a load balancer every request comes from the proxy's address. With the
setting, the client address, scheme and host are taken from ``X-Forwarded-For``,
``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (what Werkzeug's ``ProxyFix`` reads), but only
as far as the chain of trusted proxies goes, so a client cannot spoof its address by sending
the headers itself. Without the setting the headers are ignored. Rate limits, token
allow-networks and the audit log all read ``request.remote_addr``, so they see the real client.

The setting is a comma-separated list (or a JSON list) of items, each one of:

- a number of proxy hops ``N``: at most N addresses are taken off the right end of
  ``X-Forwarded-For`` (``ProxyFix(x_for=N)``);
- a proxy address or network (``10.0.0.5``, ``10.1.0.0/16``): headers are honoured only from a
  peer inside these networks, and trusted addresses are skipped from the right end of
  ``X-Forwarded-For`` until the first address that is not a trusted proxy: the client.

Both may be combined (``1, 10.0.0.0/8``): the peer must be trusted and at most N hops are used.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

from accord.config import ConfigError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOPS = 10


@dataclass(frozen=True)
class TrustedProxies:
    """The parsed setting: networks of trusted proxies and/or a number of hops."""

    networks: tuple[IPNetwork, ...] = ()
    hops: int | None = None

    def trusts(self, address: IPAddress) -> bool:
        """Whether ``address`` is a trusted proxy (any peer, when only hops are given)."""
        if not self.networks:
            return True
        return any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str) -> tuple[str, int]:
        """The client address and how many proxy hops were crossed to find it."""
        chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        current, used = peer, 0
        limit = self.hops if self.hops is not None else MAX_HOPS
        while chain and used < limit:
            address = _address(current)
            if address is None or not self.trusts(address):
                break
            candidate = chain.pop()
            if _address(candidate) is None:
                break  # garbage in the header: stop at the last proxy, attribute nothing fake
            current, used = candidate, used + 1
        return current, used


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _items(value: Any) -> list[str]:
    if isinstance(value, bool):
        raise ConfigError("ACCORD_TRUSTED_PROXIES must be a number of hops or proxy "
                          f"addresses/networks, not {value!r}")
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ConfigError(f"ACCORD_TRUSTED_PROXIES: cannot read {value!r}")


def parse(value: Any) -> TrustedProxies | None:
    """The setting as :class:`TrustedProxies`, None when unset; ConfigError naming a bad item."""
    if value is None or value == "" or value == []:
        return None
    networks: list[IPNetwork] = []
    hops: int | None = None
    for item in _items(value):
        if item.isdigit():
            if hops is not None or not 1 <= int(item) <= MAX_HOPS:
                raise ConfigError(f"ACCORD_TRUSTED_PROXIES: {item!r}: give one number of hops, "
                                  f"from 1 to {MAX_HOPS}")
            hops = int(item)
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"ACCORD_TRUSTED_PROXIES: {item!r} is not a number of hops, an "
                              "IP address or a CIDR network") from None
    if hops is None and not networks:
        return None
    return TrustedProxies(networks=tuple(networks), hops=hops)


def _forwarded_value(environ: WSGIEnvironment, header: str, used: int) -> str | None:
    """The value the outermost trusted proxy set (ProxyFix's rule: the ``used``-th from right)."""
    values = [part.strip() for part in environ.get(header, "").split(",") if part.strip()]
    return values[-used] if used and len(values) >= used else None


class ProxyMiddleware:
    """WSGI middleware applying :class:`TrustedProxies` to ``REMOTE_ADDR``, scheme and host."""

    def __init__(self, app: WSGIApplication, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        peer = str(environ.get("REMOTE_ADDR") or "")
        client, used = self.trusted.client(peer, str(environ.get("HTTP_X_FORWARDED_FOR", "")))
        if used:
            environ["accord.proxy.peer"] = peer
            environ["REMOTE_ADDR"] = client
            proto = _forwarded_value(environ, "HTTP_X_FORWARDED_PROTO", used)
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = _forwarded_value(environ, "HTTP_X_FORWARDED_HOST", used)
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Validate ``TRUSTED_PROXIES`` and, when set, wrap the WSGI app in the middleware."""
    trusted = parse(app.config.get("TRUSTED_PROXIES"))
    if trusted is not None:
        app.wsgi_app = ProxyMiddleware(app.wsgi_app, trusted)  # type: ignore[method-assign]
