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
