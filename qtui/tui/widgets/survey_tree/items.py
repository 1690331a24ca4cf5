"""What the survey tree's nodes stand for: an item is a kind and an id, keyed by both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["survey", "page", "block", "rule", "variables", "variable"]
NodeKey = tuple[str, str]

# A store entity's name → the kind of node that shows it.
ENTITY_KIND: dict[str, Kind] = {
    "survey": "survey",
    "page": "page",
    "block": "block",
    "navigation_rule": "rule",
    "variable": "variable",
}


@dataclass(frozen=True, slots=True)
class Item:
    """What a node stands for; the node's content is always read from the store."""

    kind: Kind
    id: str

    @property
    def key(self) -> NodeKey:
        return (self.kind, self.id)


VARIABLES_KEY: NodeKey = ("variables", "")
