"""A large tree's nodes, kept out of the cyclic collector's full passes.

Opening every page of a 20,000-block survey builds ~22,000 nodes, several container objects
each, that live as long as the tree. The collector's full passes walk all of them (over
100 ms each, a few times in every five seconds while events stream), so once many nodes have
been built they are frozen (`gc.freeze()`, as the app does after a snapshot). A frozen
object is only ever freed by reference counting, and a node's links to its parent and to its
children form cycles. Textual's `TreeNode.remove` unlinks the children it removes, but
`Tree.clear` (a rebuild) drops the old root with every link in place: `release` unlinks
them, so the old nodes are freed at once, frozen or not, instead of leaking.
"""

from __future__ import annotations

import gc
from typing import Any

from textual.widgets.tree import TreeNode

# Nodes built since the last freeze that make the next one worth it (a freeze takes a few
# milliseconds; opening one page builds about twenty nodes).
FREEZE_AFTER = 2_000


class LongLived:
    """Counts the nodes built and freezes them once there are enough."""

    def __init__(self, freeze_after: int = FREEZE_AFTER) -> None:
        self.freeze_after = freeze_after
        self.built = 0  # since the last freeze

    def settle(self) -> bool:
        """Freeze what is built, if it is enough to matter; whether it froze."""
        if self.built < self.freeze_after:
            return False
        self.built = 0
        gc.collect(1)  # young garbage in cycles goes first: frozen, it would stay for ever
        gc.freeze()
        return True


def release(node: TreeNode[Any]) -> None:
    """Unlink a node taken out of the tree from its parent and its children, and theirs."""
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(current._children)
        current._children = []
        current._parent = None
