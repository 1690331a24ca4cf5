"""After the terminal is briefly smaller than the minimum and grows back, focus returns to
the widget that had it, so the arrows work at once (no Tab needed)."""

from __future__ import annotations

import pytest

from qtui.tui.sources import FeedSource
from tests.tui.conftest import screener_app


@pytest.mark.parametrize("panel", ["#tree", "#log"])
async def test_focus_comes_back_after_a_too_small_terminal(panel: str) -> None:
    async with screener_app(FeedSource()) as (app, pilot):
        widget = app.screen.query_one(panel)
        widget.focus()
        await pilot.pause()
        assert app.focused is widget
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert not app.screen.has_class("-too-small")
        assert app.focused is widget
        if panel == "#tree":
            line = app.tree.cursor_line
            await pilot.press("down")
            assert app.tree.cursor_line == line + 1  # arrows work without a Tab first


def cursor_in_view(app) -> bool:
    tree = app.tree
    top = tree.scroll_offset.y
    return top <= tree.cursor_line < top + tree.scrollable_content_region.height


@pytest.mark.parametrize("where", ["bottom", "middle", "top"])
async def test_the_tree_cursor_stays_in_view_after_any_resize(where: str) -> None:
    async with screener_app(FeedSource()) as (app, pilot):
        tree = app.tree
        tree.focus()
        tree.expand_all_pages()
        await pilot.pause()
        rows = tree.last_line + 1
        target = {"bottom": rows - 1, "middle": rows // 2, "top": 0}[where]
        tree.cursor_line = target
        await pilot.pause()
        for size in ((80, 24), (120, 40), (100, 20), (60, 15), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            assert tree.cursor_line == target
            if size == (80, 24):  # the panels stack: the tree shows fewer rows than it has
                assert tree.scrollable_content_region.height < rows
            assert cursor_in_view(app), (size, tree.cursor_line, tree.scroll_offset.y)
