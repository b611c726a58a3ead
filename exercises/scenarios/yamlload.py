"""Loading scenario YAML safely: plain data only, bounded nesting, and a budget on aliases.

``yaml.SafeLoader`` builds only plain data, but an alias (``*name``) stands for the whole node
its anchor (``&name``) marks, so a few kilobytes of aliases of aliases ("billion laughs")
expand to millions of values once the document is walked (YAML 1.1 section 3.2.2.2). Scenarios
need few aliases or none, so this loader counts what each alias would expand to and refuses a
document over the budget, an alias to the node that contains it (a cycle), and nesting deeper
than the JSON limit, before PyYAML's recursive composer could overflow the stack.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import Node

from accord.jsonbody import MAX_DEPTH

MAX_ALIASES = 100
MAX_VALUES = 100_000  # values after expanding aliases; the sample scenarios have under 1,000


class Refused(yaml.MarkedYAMLError):
    """The document is valid YAML but exceeds what the hub reads; ``problem`` says how."""


class BudgetLoader(yaml.SafeLoader):
    """A SafeLoader that tracks nesting depth and the expanded size of every anchored node."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.aliases = 0
        self.values = 0
        self.sizes: dict[str, int] = {}

    def _refuse(self, event: yaml.Event, problem: str) -> Refused:
        return Refused(problem=problem, problem_mark=event.start_mark)  # type: ignore[arg-type]

    def _alias(self, event: yaml.AliasEvent) -> None:
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise self._refuse(event, f"more than {MAX_ALIASES} aliases (*name)")
        anchor = str(event.anchor)
        if anchor in self.anchors and anchor not in self.sizes:
            raise self._refuse(event, f"alias *{anchor} refers to a node that contains it")
        self.values += self.sizes.get(anchor, 0)
        if self.values > MAX_VALUES:
            raise self._refuse(event, f"aliases expand the document beyond {MAX_VALUES} values")

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML's stubs omit it
        if isinstance(event, yaml.AliasEvent):
            self._alias(event)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._refuse(event, f"nested deeper than {MAX_DEPTH} levels")
        start = self.values
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        self.values += 1
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.sizes[str(anchor)] = self.values - start
        if self.values > MAX_VALUES:
            raise self._refuse(event, f"the document has more than {MAX_VALUES} values")
        return node


def load(text: str) -> Any:
    """The single YAML document in ``text`` as plain data; ``yaml.YAMLError`` if it is not
    valid YAML or is over the budget (a :class:`Refused` with a line and the reason)."""
    loader = BudgetLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
