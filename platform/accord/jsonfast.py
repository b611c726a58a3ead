"""orjson where it gives exactly what Python's ``json`` gives, ``json`` elsewhere (issue 15).

:func:`loads` returns orjson's value only when it equals ``json.loads``'s: orjson turns integers
beyond 64 bits into floats and nests deeper than ``json`` can, so a value holding a float, or
nested deeper than :data:`SAFE_DEPTH`, is left to ``json`` (a marker comes back: "decide
with json"). Anything orjson refuses (NaN, infinity, lone surrogates, a BOM, UTF-16)
is also left to ``json``, which then accepts or refuses it with its own message.

:func:`compact` is ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, through
orjson when the value is plain JSON without floats (orjson writes ``1e-7`` where ``json`` writes
``1e-07``; it also encodes types ``json`` refuses) and orjson can encode it (no integer beyond
64 bits, no non-string key, no lone surrogate).
tests/accord/test_jsonfast.py holds both to ``json`` on a corpus of STIX documents.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

SAFE_DEPTH = 200  # json recurses once per level; far below any stack the hub runs on
_NOT_PARSED = object()


def _exact(value: dict[str, Any] | list[Any], limit: int) -> bool:
    """True if ``value`` holds no float and nests at most ``limit`` containers deep (walked
    level by level). orjson reads an integer beyond 64 bits as a float, so a value without
    floats is exactly what json reads."""
    level = [value]
    for _ in range(limit):
        children: list[Any] = []
        for node in level:
            for child in (node.values() if type(node) is dict else node):
                kind = type(child)
                if kind is dict or kind is list:
                    children.append(child)
                elif kind is float:
                    return False
        if not children:
            return True
        level = children
    return False


def loads(raw: bytes | str) -> Any:
    """The value orjson parses from ``raw`` if it is surely ``json.loads(raw)``'s; else a
    marker meaning "parse with json" (test with :func:`parsed`)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _NOT_PARSED
    if type(value) is float or ((type(value) is dict or type(value) is list)
                                and not _exact(value, SAFE_DEPTH)):
        return _NOT_PARSED
    return value


def parsed(value: Any) -> bool:
    """Whether :func:`loads` decided (False: parse with ``json``)."""
    return value is not _NOT_PARSED


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: dict[str, Any] | list[Any]) -> bool:
    """Only dicts, lists, strings, ints, booleans and nulls (no float, no other type), which
    orjson writes exactly as ``json`` does (or refuses)."""
    level = [value]
    while level:
        children: list[Any] = []
        for node in level:
            for child in (node.values() if type(node) is dict else node):
                kind = type(child)
                if kind is dict or kind is list:
                    children.append(child)
                elif kind not in _SCALARS:
                    return False
        level = children
    return True


def compact(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, faster; raises what
    ``json.dumps`` raises (TypeError, ValueError, RecursionError) for what it cannot encode."""
    if (type(value) is dict or type(value) is list) and _plain(value):
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # orjson.JSONEncodeError: big ints, non-str keys, surrogates, depth
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
