"""Collecting scenario problems with their path in the document (``injects[3].deadline``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from accord.errors import UnprocessableEntity
from exercises.scenarios.durations import DurationError, parse_iso

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located by its path in the document."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioInvalid(UnprocessableEntity):
    """A scenario with problems; ``problems`` lists all of them."""

    title = "Invalid scenario"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "; ".join(str(problem) for problem in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s): {lines}{more}",
                         details={"errors": [{"path": p.path, "message": p.message}
                                             for p in problems]})


@dataclass
class Checker:
    """Collects problems while the validator walks a document."""

    problems: list[Problem] = field(default_factory=list)
    objective_ids: set[str] = field(default_factory=set)
    team_ids: set[str] = field(default_factory=set)
    inject_paths: dict[str, str] = field(default_factory=dict)  # inject id -> its path

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, "must be a mapping of fields")
            return None
        return value

    def items(self, value: Any, path: str, required: bool = True) -> list[Any]:
        if value is None:
            if required:
                self.add(path, "is required (a list)")
            return []
        if not isinstance(value, list):
            self.add(path, "must be a list")
            return []
        if required and not value:
            self.add(path, "must not be empty")
        return value

    def known_keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.add(join(path, str(key)), "unknown field")

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = False,
             default: str = "", max_length: int = 20000) -> str:
        value = data.get(key)
        where = join(path, key)
        if value is None:
            if required:
                self.add(where, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(where, "must be text")
            return default
        result = str(value).strip()
        if required and not result:
            self.add(where, "must not be empty")
        if len(result) > max_length:
            self.add(where, f"is longer than {max_length} characters")
        return result

    def slug(self, data: dict[str, Any], key: str, path: str) -> str:
        value = self.text(data, key, path, required=True)
        if value and not SLUG.match(value):
            self.add(join(path, key), "use 1-64 letters, digits, '-', '_' or '.'")
        return value

    def duration(self, data: dict[str, Any], key: str, path: str, *, required: bool = True
                 ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(join(path, key), "is required (an ISO 8601 duration such as PT30M)")
            return None
        try:
            parse_iso(value)
        except DurationError as exc:
            self.add(join(path, key), str(exc))
            return None
        return str(value).strip().upper()


def join(path: str, key: str | int) -> str:
    """Extend a path: ``join("injects", 3)`` is ``injects[3]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
