"""The survey tree: survey → pages → blocks and navigation rules, then variables.

- `items` — what a node stands for (`Item`, its `NodeKey`);
- `desired` — what the tree should show, read from the store, and the filter (pure);
- `batching` — a batch of store changes read into what to patch (pure);
- `widget` — the `SurveyTree` widget, which patches its nodes by key.
"""

from __future__ import annotations

# Up to this many pages, a page opens by itself when it is created, so blocks can be watched
# arriving; beyond it pages open on demand and a 20,000-block survey stays quick.
FOLLOW_PAGE_LIMIT = 200

from qtui.tui.widgets.survey_tree.items import (  # noqa: E402
    ENTITY_KIND,
    VARIABLES_KEY,
    Item,
    Kind,
    NodeKey,
)
from qtui.tui.widgets.survey_tree.widget import SurveyTree  # noqa: E402

__all__ = [
    "ENTITY_KIND",
    "FOLLOW_PAGE_LIMIT",
    "VARIABLES_KEY",
    "Item",
    "Kind",
    "NodeKey",
    "SurveyTree",
]
