"""Pages decoded with orjson (feeds.transport.JsonResponse) are what requests decodes (issue 13)."""

from __future__ import annotations

from typing import Any

import requests

from feeds.transport import JsonResponse


def _response(cls: type[requests.Response], body: bytes, content_type: str) -> requests.Response:
    response = cls()
    response._content = body
    response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


def _decoded(response: requests.Response) -> Any:
    try:
        return ("value", repr(response.json()))
    except ValueError as exc:
        return type(exc)


def test_pages_decode_as_requests_decodes() -> None:
    page = ('{"more":false,"objects":[{"type":"indicator","name":"Zürich 😀","x":1.5e-7,'
            '"n":123456789012345678}]}')
    bodies = [page.encode(), page.encode("utf-16"), page.encode("latin-1", "replace"),
              b"\xef\xbb\xbf" + page.encode(), b'{"n": 12345678901234567890123}', b"[NaN]",
              b'{"a": 1e400}', b"not json", b"{}", b'"\\ud800"']
    for body in bodies:
        for content_type in ("application/taxii+json;version=2.1",
                             "application/json", "application/json; charset=latin-1",
                             "text/plain; charset=UTF-8"):
            assert _decoded(_response(JsonResponse, body, content_type)) == \
                _decoded(_response(requests.Response, body, content_type)), (body, content_type)
