"""Values of indicator lists: refanged, and junk refused before it becomes an indicator.

Blocklists are shared onward to every partner, so a value that would block the whole
Internet (``0.0.0.0/0``), the hub's own network (``10.0.0.0/8``, ``127.0.0.1``), nothing at
all (the hash of empty content) or a file name taken for a domain (``invoice.pdf``) is refused
with its line number and reason. Defanged forms (``hxxp``, ``[.]``, ``(.)``, ``[:]``) are
refanged. What a reason quotes from the list is a short, printable prefix only.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from accord.sharing.values import URL, pattern_for

ECHO_CHARS = 24
SCHEMES = ("http", "https", "ftp")
MIN_PREFIX = {4: 8, 6: 16}  # a network wider than this is no indicator of anything
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"))
# Digests of empty content, and all-zero digests, match nothing worth blocking.
EMPTY_DIGESTS = frozenset({
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
})
# File extensions that are not top-level domains: ``invoice.pdf`` is a file, not a host.
# (Extensions that are real TLDs, such as .zip, .mov, .py or .sh, are domains and kept.)
FILE_EXTENSIONS = frozenset({
    "pdf", "exe", "dll", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf",
    "txt", "csv", "js", "vbs", "vbe", "wsf", "scr", "bat", "cmd", "ps1", "msi", "jar", "apk",
    "iso", "img", "rar", "gz", "tgz", "tar", "bz2", "xz", "htm", "html", "php", "asp", "aspx",
    "jsp", "jpg", "jpeg", "png", "gif", "bmp", "lnk", "hta", "xml", "json", "dat", "bin",
    "tmp", "log", "cab", "deb", "rpm", "dmg", "pkg", "elf", "sys", "ocx", "cpl", "one", "vhd",
})
_DEFANGS = (
    (re.compile(r"^hxxp(?=s?(?:://|\[:\]|\[://\]))", re.I), "http"),
    (re.compile(r"^fxp(?=s?(?:://|\[:\]|\[://\]))", re.I), "ftp"),
    (re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.I), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*://\s*\]"), "://"),
    (re.compile(r"\[\s*/\s*\]"), "/"),
    (re.compile(r"\[\s*@\s*\]"), "@"),
)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):(//)?", re.I)


def echo(text: str) -> str:
    """A short, printable prefix of ``text`` for a rejection reason (never a whole line)."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[:ECHO_CHARS])
    return repr(cleaned + ("…" if len(text) > ECHO_CHARS else ""))


def refang(value: str) -> str:
    """``hxxp://evil[.]example`` -> ``http://evil.example``, consistently for every form."""
    for pattern, replacement in _DEFANGS:
        value = pattern.sub(replacement, value)
    return _SCHEME.sub(lambda match: match.group(0).lower(), value, count=1)


def _check_address(text: str, allow_private: bool) -> str | None:
    """Why an IP address or network is junk, or None."""
    if "%" in text:
        return "has a zone id (%...), which names an interface of one machine"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    version = network.version
    if network.prefixlen < MIN_PREFIX[version]:
        return f"covers too much of the address space (/{network.prefixlen})"
    first = network.network_address
    if first.is_unspecified or (network.prefixlen == network.max_prefixlen and (
            first == ipaddress.IPv4Address("255.255.255.255"))):
        return "is an unspecified or broadcast address"
    if first.is_multicast:
        return "is a multicast address"
    if not allow_private and any(network.overlaps(net) for net in PRIVATE_NETWORKS
                                 if net.version == version):
        return "is a private, loopback or link-local address (allow_private is off)"
    return None


def _check_url(value: str, allow_private: bool) -> str | None:
    match = _SCHEME.match(value)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in SCHEMES:
        return f"has the URL scheme {scheme!r}; only http, https and ftp are indicators"
    if any(ch.isspace() for ch in value):
        return "is a URL with an unencoded space (encode it as %20)"
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return "is not a well-formed URL"
    if not host:
        return "is a URL without a host"
    return _check_address(host, allow_private)


def _check_hash_or_domain(value: str) -> str | None:
    lowered = value.lower()
    if re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}", lowered):
        if lowered in EMPTY_DIGESTS:
            return "is the hash of empty content"
        if set(lowered) == {"0"}:
            return "is an all-zero hash"
        return None
    last = lowered.rstrip(".").rsplit(".", 1)[-1]
    if "." in lowered and "/" not in lowered and last in FILE_EXTENSIONS:
        return f"looks like a file name (.{last} is a file extension, not a top-level domain)"
    return None


def classify(raw: str, allow_private: bool = False) -> tuple[str, str]:
    """The refanged value and its STIX pattern; ValueError with a reason if it is junk."""
    value = refang(raw.strip())
    if not value:
        raise ValueError("empty value")
    reason = (_check_url(value, allow_private) if _SCHEME.match(value) and "://" in value
              else _check_address(value, allow_private) or _check_hash_or_domain(value))
    if reason is None and value.lower().startswith(("javascript:", "data:", "vbscript:")):
        reason = _check_url(value, allow_private)
    if reason is not None:
        raise ValueError(f"{echo(value)} {reason}")
    try:
        return pattern_for(value)
    except ValueError:
        raise ValueError(f"{echo(value)} is not an IP address, CIDR, domain, URL or "
                         "MD5/SHA hash") from None


def split_line(line: str) -> str | None:
    """The value of one list line: its first word, or a whole URL (spaces kept, to refuse).

    ``#`` starts a comment, except inside a URL (its fragment), where a comment must follow
    whitespace.
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if _SCHEME.match(refang(text)) and "://" in refang(text):
        return re.split(r"\s+#", text, maxsplit=1)[0].strip() or None
    stripped = text.split("#", 1)[0].strip()
    return stripped.split()[0] if stripped else None


__all__ = ["URL", "classify", "echo", "refang", "split_line"]
