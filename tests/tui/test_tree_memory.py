"""The tree's nodes and lines, kept out of the cyclic collector's way, and still freed."""

from __future__ import annotations

import gc
import weakref

from textual.widgets import Tree

from qtui.tui.sources import FeedSource
from tests.tui.conftest import screener_app, settle
from tests.tui.envelopes import Clocked, deleted


async def test_opening_every_page_freezes_the_nodes_and_nodes_taken_out_are_still_freed(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        tree = app.tree
        tree._long_lived.freeze_after = 1  # as if the survey were a large one
        await pilot.press("o")  # every page closed (the small survey opened them all)
        await pilot.press("o")  # every page open: built, then frozen
        assert tree.all_pages_expanded()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        page = weakref.ref(tree.node_for(("page", "p3")))  # type: ignore[arg-type]
        inside = weakref.ref(tree.node_for(("block", "b4")))  # type: ignore[arg-type]
        rule = weakref.ref(tree.node_for(("rule", "r2")))  # type: ignore[arg-type]
        block = weakref.ref(tree.node_for(("block", "b1")))  # type: ignore[arg-type]
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(deleted(c.tick(), "page", "p3"))  # the page, its block, the rule leading to it
        await settle(pilot, app)
        assert ("page", "p3") not in tree and ("rule", "r2") not in tree
        # Frozen objects are never collected: only reference counting can have freed these.
        assert page() is None and inside() is None and rule() is None
        assert block() is not None
        await pilot.press("slash", *"car")  # a filter lays the tree out anew
        await pilot.pause()
        assert tree.filter_text == "car"
        assert block() is None


async def test_the_lines_are_laid_out_as_textual_does_and_leave_no_garbage(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        tree = app.tree
        tree.node_for(("page", "p3")).collapse()  # type: ignore[union-attr]
        await pilot.pause()

        def lines() -> list[tuple[tuple[int, ...], bool, int]]:
            return [
                (tuple(id(node) for node in line.path), line.last, line.path[-1]._line)
                for line in tree._tree_lines
            ]

        for show_root in (True, False):
            tree.show_root = show_root
            Tree._build(tree)  # Textual's own
            theirs, their_size = lines(), tree.virtual_size
            tree._build()
            assert lines() == theirs and tree.virtual_size == their_size
            assert len(theirs) > 5
        first = weakref.ref(tree._tree_lines[0])
        gc.disable()
        try:
            tree._invalidate()
            _ = tree._tree_lines
            assert first() is None  # freed with the old list, without the collector
        finally:
            gc.enable()
