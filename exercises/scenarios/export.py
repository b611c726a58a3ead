"""Writing a scenario back out: YAML (the authoring format) or JSON.

The export drops fields left at their defaults so a round trip (import, export, import) gives
the same normalised document and a file a person still wants to read.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from exercises.scenarios.scenario_format import DEFAULT_SCALE


def _literal_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Multi-line text (inject bodies) as YAML literal blocks."""
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


class ScenarioDumper(yaml.SafeDumper):
    """A safe dumper that writes Markdown bodies as readable literal blocks."""

    yaml_representers = {**yaml.SafeDumper.yaml_representers,
                         str: _literal_str}  # type: ignore[dict-item]


DEFAULTS: dict[str, Any] = {"description": "", "language": "en", "duration": None,
                            "phase": "", "from": "", "body": "", "hold": False,
                            "controller_notes": "", "stix": [], "expected_actions": [],
                            "objective": None, "weight": 1, "audience": "all",
                            "teams": "all", "channels": ["inbox"]}


def _is_default(key: str, value: Any) -> bool:
    return key in DEFAULTS and value == DEFAULTS[key]


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if not _is_default(k, v)}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def slim(document: dict[str, Any]) -> dict[str, Any]:
    """The document without default-valued fields, ready for people to read."""
    slimmed: dict[str, Any] = _prune(document)
    if document.get("rating_scale") == DEFAULT_SCALE:
        slimmed.pop("rating_scale")
    return slimmed


def to_yaml(document: dict[str, Any]) -> str:
    """The scenario as YAML text."""
    return yaml.dump(slim(document), Dumper=ScenarioDumper, sort_keys=False, allow_unicode=True,
                     width=100)


def to_json(document: dict[str, Any]) -> str:
    """The full normalised scenario as JSON text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
