"""TAXII JSON responses with the exact media type, and the pagination headers (section 3.3)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Response

from accord.jsonfast import compact
from accord.sharing.timestamps import format_timestamp
from accord.taxii.media import TAXII_MEDIA_TYPE


def taxii_json(body: Any, status: int = 200) -> Response:
    """A TAXII resource as ``application/taxii+json;version=2.1`` (compact JSON; a status of
    1,000 objects is written by orjson, with json's very text)."""
    return Response(compact(body), status=status, content_type=TAXII_MEDIA_TYPE)


def envelope(documents: Iterable[str], more: bool, next_token: str | None) -> Response:
    """An envelope built from stored JSON text, without decoding the objects again.

    The body is made by one ``join`` (head and tail stuck to the first and last object): each
    further copy of a page-sized string cost more than the join itself (issue 15)."""
    objects = list(documents)
    if not objects:
        return Response("{}", status=200, content_type=TAXII_MEDIA_TYPE)
    head = '{"more":true,' if more else '{"more":false,'
    if next_token:
        head += f'"next":{json.dumps(next_token)},'
    objects[0] = f'{head}"objects":[{objects[0]}'
    objects[-1] += "]}"
    return Response(",".join(objects), status=200, content_type=TAXII_MEDIA_TYPE)


def with_date_headers(response: Response, first: datetime | None, last: datetime | None
                      ) -> Response:
    """``X-TAXII-Date-Added-First``/``-Last`` for non-empty pages (sections 5.3-5.8)."""
    if first is not None and last is not None:
        response.headers["X-TAXII-Date-Added-First"] = format_timestamp(first)
        response.headers["X-TAXII-Date-Added-Last"] = format_timestamp(last)
    return response
