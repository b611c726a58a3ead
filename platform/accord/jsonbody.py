"""Reading JSON from requests and uploads strictly as RFC 8259 defines it: a 400 naming the problem.

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into infinity, recurses once
per nesting level (so deep nesting is a ``RecursionError``) and keeps the lone UTF-16 surrogates
that ``"\\ud800"`` escapes decode to. None of these can be stored or sent back (UTF-8 and
PostgreSQL refuse surrogates, PostgreSQL text refuses NUL), so every JSON body the hub reads
goes through :func:`parse`, and values that become records go through :func:`text_problem`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from flask import request

from accord import jsonfast
from accord.errors import BadRequest, UnsupportedMediaType

MAX_DEPTH = 64  # far beyond any STIX object or API body, far below Python's recursion limit
MAX_INT_DIGITS = 100  # no count, size or time in the hub needs more
_SURROGATE = re.compile("[\ud800-\udfff]")


def _constant(name: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity`` are Python's extensions (RFC 8259 section 6)."""
    raise ValueError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range for a JSON number")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def structure_problem(value: Any, *, max_depth: int = MAX_DEPTH,
                      allow_nul: bool = True) -> str | None:
    """Why parsed JSON (or YAML) cannot be stored as text: nesting deeper than ``max_depth``, a
    lone UTF-16 surrogate, or (unless allowed) a NUL character; None if it can.

    Walked level by level, without recursion, so the walk itself cannot overflow the stack; a
    level's texts are checked at once, and searched for surrogates only when one is not ASCII
    (this runs on every object the hub ingests).
    """
    level: list[Any] = [value]
    for _ in range(max_depth):
        children: list[Any] = []
        texts: list[str] = []
        for node in level:
            if isinstance(node, Mapping):
                texts.extend(key for key in node if isinstance(key, str))
                values: Any = node.values()
            elif isinstance(node, list):
                values = node
            else:
                values = (node,)
            for child in values:
                if isinstance(child, str):
                    texts.append(child)
                elif isinstance(child, Mapping | list):
                    children.append(child)
        joined = "".join(texts)
        if not joined.isascii() and _SURROGATE.search(joined):
            return "contains a lone UTF-16 surrogate, which is not Unicode text"
        if not allow_nul and "\x00" in joined:
            return "contains a NUL character"
        if not children:
            return None
        level = children
    return f"nested deeper than {max_depth} levels"


def text_problem(text: str, *, allow_nul: bool = False) -> str | None:
    """Why ``text`` cannot be stored as text (a lone surrogate, a NUL character), or None."""
    if _SURROGATE.search(text):
        return "contains a lone UTF-16 surrogate, which is not Unicode text"
    if not allow_nul and "\x00" in text:
        return "contains a NUL character"
    return None


def loads(raw: bytes | str, *, strict: bool = True) -> Any:
    """``json.loads`` that refuses NaN, Infinity, numbers out of range and (if ``strict``)
    integers of more than :data:`MAX_INT_DIGITS` digits with a ValueError; deep nesting still
    raises RecursionError, which callers turn into a reason. orjson parses what it surely
    parses alike (:mod:`accord.jsonfast`: no number of 19 digits or more, no NaN)."""
    value = jsonfast.loads(raw)
    if jsonfast.parsed(value):
        return value
    return json.loads(raw, parse_constant=_constant, parse_float=_float,
                      parse_int=_int if strict else None)


def parse(raw: bytes | str, *, what: str = "the body", strict: bool = True) -> Any:
    """The JSON value in ``raw``; a :class:`BadRequest` saying why it is not acceptable JSON.

    ``strict`` also refuses what no record can hold (see :func:`structure_problem`); STIX
    input is not strict, because each object in it is judged alone (a bad one fails by itself).
    """
    try:
        value = loads(raw, strict=strict)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{what} is not valid JSON: {str(exc)[:200]}") from None
    except RecursionError:
        raise BadRequest(f"{what} is not valid JSON: nested too deeply") from None
    if strict:
        problem = structure_problem(value, allow_nul=False)
        if problem:
            raise BadRequest(f"{what}: {problem}")
    return value


def parse_object(raw: bytes | str, *, what: str = "the body") -> dict[str, Any]:
    """A strict JSON object (an empty body is an empty object); 400 otherwise."""
    if not raw.strip():
        return {}
    value = parse(raw, what=what)
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return value


def request_object() -> dict[str, Any]:
    """The JSON object an API request sends (an empty body is an empty object): 415 for a body
    of another media type, 400 naming what is wrong with the JSON."""
    raw = request.get_data()
    if not request.is_json and (raw.strip() or (request.content_length or 0) > 0):
        raise UnsupportedMediaType("send the body as application/json")
    return parse_object(raw, what="the request body")
