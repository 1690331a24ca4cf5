"""The tree's lines, laid out without leaving garbage for the cyclic collector.

Textual's `Tree._build` walks the nodes with a nested function that calls itself: the
function refers to itself through its closure, a cycle that also holds the list of lines
(two objects a line). Every layout of an expanded 20,000-block survey so left ~46,000
objects that only the collector's full passes free, and a freeze (see `long_lived`) would
have kept them for ever. The same walk with a stack of its own leaves nothing behind: an old
list of lines is freed as soon as a new one replaces it.
"""

from __future__ import annotations

from typing import Any

from textual.widgets._tree import TreeNode, _TreeLine


def lay_out(root: TreeNode[Any], show_root: bool) -> list[_TreeLine[Any]]:
    """The visible lines under `root`, in order, numbering each node's `_line` as Textual
    does (without the root shown, each of its children is a last line, as in Textual)."""
    lines: list[_TreeLine[Any]] = []
    add_line = lines.append
    stack: list[tuple[list[TreeNode[Any]], TreeNode[Any], bool]]
    if show_root:
        stack = [([], root, True)]
    else:
        stack = [([], node, True) for node in reversed(root._children)]
    pop, push = stack.pop, stack.append
    while stack:
        path, node, last = pop()
        child_path = [*path, node]
        node._line = len(lines)
        add_line(_TreeLine(child_path, last))
        if node._expanded and node._children:
            children = node._children
            push((child_path, children[-1], True))
            for child in reversed(children[:-1]):
                push((child_path, child, False))
    return lines
