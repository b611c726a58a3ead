"""TAXII 2.1 media types and content negotiation (section 1.6.8, 3.1)."""

from __future__ import annotations

from flask import Request

from accord.errors import NotAcceptable, UnsupportedMediaType

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_ACCEPTED_TYPES = ("application/taxii+json", "application/stix+json")


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in header.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0]:
            continue
        params = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        ranges.append((pieces[0].lower(), params))
    return ranges


def _speaks_taxii21(media: str, params: dict[str, str]) -> bool:
    if params.get("q") in ("0", "0.0", "0.00", "0.000"):
        return False
    if media in ("*/*", "application/*"):
        return True
    return media in _ACCEPTED_TYPES and params.get("version", "2.1") == "2.1"


def check_accept(request: Request) -> None:
    """406 unless ``Accept`` admits TAXII 2.1 JSON (a bare ``application/taxii+json`` means the
    newest version, section 1.6.8.2; no header means anything)."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return
    if not any(_speaks_taxii21(media, params) for media, params in _media_ranges(header)):
        raise NotAcceptable(
            f"Accept {header[:120]!r} is not served here: ask for {TAXII_MEDIA_TYPE}.")


def check_content_type(request: Request) -> None:
    """415 unless the body is TAXII 2.1 (or STIX 2.1) JSON."""
    header = request.headers.get("Content-Type", "")
    ranges = _media_ranges(header)
    if not ranges or ranges[0][0] not in _ACCEPTED_TYPES or \
            ranges[0][1].get("version", "2.1") != "2.1":
        shown = header[:120] or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown!r} is not accepted: send {TAXII_MEDIA_TYPE}.")
