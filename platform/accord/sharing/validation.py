"""STIX 2.1 validation with the ``stix2`` library's verdicts (STIX 2.1 sections 2-3, 9.1).

``stix2.parse`` decides for every type it knows (required properties, timestamps, identifiers,
indicator patterns). A fast path (``accord.sharing.stixcheck``) first accepts what stix2 surely
accepts, without building a stix2 object; stix2 judges the rest and words every rejection.
Indicator patterns are the costly part, so their verdicts are memoised per
*pattern shape*: the pattern with its plain string literals blanked, because the pattern grammar
accepts any correctly escaped string literal the same way. Timestamp, binary and hex literals
are kept, since their contents are checked.

``stix2``, ``stix2-patterns`` and the fast path are imported on the first validation, so a
module that imports this one (ingest, and through it the commands) stays light (issue 15).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from accord.jsonbody import MAX_DEPTH, structure_problem
from accord.sharing.identifiers import MAX_ID_LENGTH, STIX_TYPE, is_uuid
from accord.sharing.timestamps import parse_timestamp

# A plain STIX pattern string literal compared against (after an operator, a comma or an opening
# parenthesis, so never t'', b'', h'' or a quoted path component): quote, escaped quote or
# backslash or any other character, quote. Only literals the grammar accepts match, so blanking
# them keeps the verdict (hash values aside, see pattern_error).
_STRING_LITERAL = re.compile(r"((?:[=<>,(]|\bLIKE|\bMATCHES)\s*)'(?:[^'\\]|\\'|\\\\)*'")
MAX_REASON = 300


def _structure_error(obj: Mapping[str, Any]) -> str | None:
    """Nesting too deep for stix2 and json.dumps (which recurse), or text that is not Unicode
    (a lone UTF-16 surrogate from a ``\\ud800`` escape cannot be stored or sent as UTF-8)."""
    return structure_problem(obj, max_depth=MAX_DEPTH)


@lru_cache(maxsize=4096)
def _pattern_shape_error(shape: str, version: str) -> str | None:
    """The verdict on one pattern shape; a validator crash is a verdict too (and memoised)."""
    from stix2patterns.validator import run_validator

    try:
        errors = run_validator(shape, version)
    except RecursionError:  # e.g. hundreds of nested parentheses
        return "the pattern is nested too deeply to check"
    except Exception as exc:  # stix2-patterns fails on some input (e.g. '' raises
        # UnboundLocalError); a pattern it cannot judge is refused, never a 500
        return f"the pattern could not be checked ({exc.__class__.__name__})"
    return str(errors[0]) if errors else None


def _blank(match: re.Match[str]) -> str:
    """The literal blanked, what precedes it kept (a function: a ``\\1`` template is expanded
    in Python, several times slower)."""
    return match.group(1) + "''"


def pattern_error(pattern: str, version: str = "2.1") -> str | None:
    """Why a STIX pattern is invalid (stix2-patterns' verdict), or None.

    Hash values are the one literal stix2-patterns checks by content, so patterns on
    ``hashes`` are judged as they are.
    """
    if "hashes" in pattern:
        return _pattern_shape_error(pattern, version)
    return _pattern_shape_error(_STRING_LITERAL.sub(_blank, pattern), version)


def _is_sco(obj: Mapping[str, Any]) -> bool:
    """A STIX Cyber-observable Object: its ``spec_version`` defaults to 2.1 (STIX 2.1 s3.1,
    s6). ``stix2`` knows every built-in SCO type."""
    import stix2

    return obj.get("type") in stix2.v21.OBJ_MAP_OBSERVABLE


def _basic_error(obj: Mapping[str, Any]) -> str | None:
    """Checks every object gets, including custom types ``stix2`` passes through unchecked."""
    kind = obj.get("type")
    if not isinstance(kind, str) or not STIX_TYPE.match(kind):
        return "type: must be 3-250 lowercase letters, digits and hyphens"
    stix_id = obj.get("id")
    if not isinstance(stix_id, str) or len(stix_id) > MAX_ID_LENGTH:
        return "id: must be a string of the form <type>--<UUID>"
    prefix, sep, rest = stix_id.partition("--")
    if not sep or prefix != kind:
        return f"id: {stix_id[:80]!r} must start with '{kind}--'"
    if not is_uuid(rest):
        return f"id: {stix_id[:80]!r} does not end in a UUID"
    if obj.get("spec_version", "2.1" if _is_sco(obj) else None) != "2.1":
        return "spec_version: must be '2.1'"
    for name in ("created", "modified"):
        if name in obj:
            try:
                parse_timestamp(obj[name])
            except ValueError:
                return f"{name}: not an RFC 3339 timestamp"
    return None


def _parse_error(obj: Mapping[str, Any], fast: bool) -> str | None:
    import stix2

    from accord.sharing import stixcheck

    document = dict(obj)
    if document.get("type") == "indicator" and document.get("pattern_type") == "stix" and \
            isinstance(document.get("pattern"), str):
        problem = pattern_error(document["pattern"], str(document.get("pattern_version") or "2.1"))
        if problem:
            return f"pattern: {problem}"
        # Judged above; stix2 skips its own (uncached) pattern check for other pattern types.
        document["pattern_type"] = "x-accord-checked"
    if fast and stixcheck.accepts(document):
        return None  # stix2 would accept it (see accord.sharing.stixcheck)
    try:
        stix2.parse(document, allow_custom=True, version="2.1")
    except Exception as exc:  # stix2 raises many exception types; each message is the verdict
        return str(exc).splitlines()[0][:MAX_REASON] if str(exc) else exc.__class__.__name__
    return None


def validation_error(obj: Any, *, fast: bool = True) -> str | None:
    """Why ``obj`` is not a valid STIX 2.1 object, or None if it is.

    ``fast=False`` builds a stix2 object for every object: the reference verdict the fast path
    is tested against.
    """
    if not isinstance(obj, Mapping):
        return "not a JSON object"
    return _structure_error(obj) or _basic_error(obj) or _parse_error(obj, fast)
